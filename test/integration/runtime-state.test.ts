// What the runtime offers its callers through its own state: which containers exist, their
// cgroup's statistics, processes and limits, OOM kills; and what exec does with a bad state.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { detectCgroupDriver, type CgroupDriver } from "../../src/cgroups/index.js";
import { Runtime } from "../../src/runtime/index.js";
import type { Spec } from "../../src/spec/runtime.js";
import { MydockerError } from "../../src/util/errors.js";
import { makeBusyboxRootfs } from "../helpers/busybox-rootfs.js";
import { ociSpec as spec, runtimeSkip } from "../helpers/runtime.js";
import { waitFor } from "../helpers/wait.js";

const skip = runtimeSkip();

const MiB = 1024 * 1024;
const tag = randomBytes(3).toString("hex");
let base: string;
let runRoot: string;
let cgroups: CgroupDriver;
let rt: Runtime;
let n = 0;

function newId(): string {
  return `mydocker-rtst-${tag}-${++n}`;
}


function notRunning(e: unknown): boolean {
  return e instanceof MydockerError && e.code === "ENOTRUNNING";
}

before(() => {
  if (skip) return;
  base = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-runtime-state-test-"));
  runRoot = path.join(base, "run");
  makeBusyboxRootfs(path.join(base, "rootfs"));
  cgroups = detectCgroupDriver();
  rt = new Runtime({ runRoot, cgroups });
});

after(async () => {
  if (skip) return;
  for (const id of rt.ids()) await rt.delete(id, { force: true });
  fs.rmSync(base, { recursive: true, force: true });
});

test("exists and ids name the containers of the run root, not the runtime's own entries", { skip }, async () => {
  const id = newId();
  assert.equal(rt.exists(id), false);
  await rt.create(id, spec(id, ["sleep", "1000"]), { bundle: base });
  // The compiled seccomp filters' cache, and what is no container id at all.
  fs.mkdirSync(path.join(runRoot, ".seccomp"), { recursive: true });
  fs.mkdirSync(path.join(runRoot, "-not-an-id"));
  assert.equal(rt.exists(id), true);
  assert.equal(rt.exists("../run"), false, "a path is no container");
  assert.deepEqual(rt.ids(), [id]);
  assert.deepEqual(rt.list().map((c) => c.id), [id]);
  await rt.delete(id, { force: true });
  assert.equal(rt.exists(id), false);
  assert.deepEqual(rt.ids(), []);
  fs.rmdirSync(path.join(runRoot, "-not-an-id"));
});

test("stats, pids and update act on a running container's cgroup", { skip }, async () => {
  const id = newId();
  const st = await rt.create(id, spec(id, ["sh", "-c", "sleep 1000 & wait"]), { bundle: base });
  await rt.start(id);
  await waitFor(() => rt.pids(id).length === 2, { what: "the shell and its sleep in the container's cgroup" });
  assert.ok(rt.pids(id).includes(st.pid!), "the container's init is among its processes");
  const stats = rt.stats(id);
  assert.equal(stats.pids, 2);
  assert.ok(stats.memoryUsage > 0, `memory in use: ${stats.memoryUsage}`);
  assert.ok(stats.cpuUsageNanos > 0, `CPU time: ${stats.cpuUsageNanos}`);

  rt.update(id, { memory: { limit: 64 * MiB } });
  assert.equal(rt.stats(id).memoryLimit, 64 * MiB, "the new limit is the cgroup's");
  rt.update(id, { memory: { limit: 96 * MiB } });
  assert.equal(rt.stats(id).memoryLimit, 96 * MiB);
  assert.throws(() => rt.update(id, { memory: { limit: -5 } }), MydockerError, "an invalid limit is refused");
  assert.equal(rt.stats(id).memoryLimit, 96 * MiB, "and leaves the limit as it was");

  await rt.pause(id);
  assert.equal(rt.stats(id).pids, 2, "a paused container has its statistics too");
  await rt.delete(id, { force: true });
});

test("stats, pids and update of a stopped or unknown container say it is not running", { skip }, async () => {
  const id = newId();
  const h = await rt.run(id, spec(id, ["true"]), { bundle: base, stdio: "ignore", keepState: true });
  assert.deepEqual(await h.wait(), { exitCode: 0, signal: 0 });
  assert.equal(rt.state(id).status, "stopped");
  assert.throws(() => rt.stats(id), notRunning);
  assert.throws(() => rt.pids(id), notRunning);
  assert.throws(() => rt.update(id, { memory: { limit: 64 * MiB } }), notRunning);
  await rt.delete(id);
  assert.throws(() => rt.stats(id), notRunning);
  assert.throws(() => rt.update(id, { pids: { limit: 10 } }), notRunning);
});

test("oomKilled tells a container the OOM killer ended from one that ended by itself", { skip }, async () => {
  // dd fills a buffer of bs bytes: four times the cgroup's limit, with no swap to go to.
  const hog = newId();
  const limited = (s: Spec) => {
    s.linux!.resources = { memory: { limit: 16 * MiB, swap: 16 * MiB } };
  };
  const h = await rt.run(hog, spec(hog, ["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"], limited), {
    bundle: base,
    stdio: "ignore",
    keepState: true,
  });
  assert.deepEqual(await h.wait(), { exitCode: 137, signal: 9 });
  assert.equal(rt.oomKilled(hog), true);
  await rt.delete(hog);

  const calm = newId();
  const c = await rt.run(calm, spec(calm, ["dd", "if=/dev/zero", "of=/dev/null", "bs=1M", "count=1"], limited), {
    bundle: base,
    stdio: "ignore",
    keepState: true,
  });
  assert.deepEqual(await c.wait(), { exitCode: 0, signal: 0 });
  assert.equal(rt.oomKilled(calm), false);
  await rt.delete(calm);
});

test("exec refuses a container whose state names no namespaces to join, instead of running on the host", { skip }, async () => {
  const id = newId();
  await rt.create(id, spec(id, ["sleep", "1000"]), { bundle: base });
  await rt.start(id);
  const file = path.join(runRoot, id, "state.json");
  const { namespaces: _, ...rest } = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  fs.writeFileSync(file, JSON.stringify(rest));
  await assert.rejects(
    rt.exec(id, { user: { uid: 0, gid: 0 }, args: ["true"], cwd: "/" }),
    (e) => e instanceof MydockerError && e.code === "bad-state" && /names no namespaces/.test(e.message),
  );
  await rt.delete(id, { force: true });
});
