// The runtime on the real kernel: OCI lifecycle, run, exec, failures, stale state.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { detectCgroupDriver, type CgroupDriver } from "../../src/cgroups/index.js";
import { Runtime } from "../../src/runtime/index.js";
import { processStartTime } from "../../src/runtime/proc.js";
import { MydockerError } from "../../src/util/errors.js";
import { makeBusyboxRootfs } from "../helpers/busybox-rootfs.js";
import { ociSpec as spec, runtimeSkip } from "../helpers/runtime.js";
import { waitFor } from "../helpers/wait.js";

const skip = runtimeSkip();

const tag = randomBytes(3).toString("hex");
let base: string;
let cgroups: CgroupDriver;
let rt: Runtime;
let mountsBefore: string;
let n = 0;

function newId(): string {
  return `mydocker-rt-${tag}-${++n}`;
}


/** The text of a CRI log file (stdout and stderr lines, in order). */
function logText(file: string): string {
  if (!fs.existsSync(file)) return "";
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [, , flag, ...text] = l.split(" ");
      return text.join(" ") + (flag === "F" ? "\n" : "");
    })
    .join("");
}

before(() => {
  if (skip) return;
  mountsBefore = fs.readFileSync("/proc/self/mountinfo", "utf8");
  base = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-runtime-test-"));
  makeBusyboxRootfs(path.join(base, "rootfs"));
  cgroups = detectCgroupDriver();
  rt = new Runtime({ runRoot: path.join(base, "run"), cgroups, debug: process.env["DEBUG_RT"] ? (m) => console.error(m) : undefined });
});

after(async () => {
  if (skip) return;
  for (const c of rt.list()) await rt.delete(c.id, { force: true });
  fs.rmSync(base, { recursive: true, force: true });
});

test("create, start, state, kill, delete", { skip }, async () => {
  const id = newId();
  const log = path.join(base, `${id}.log`);
  const created = await rt.create(id, spec(id, ["sh", "-c", "echo started; exec sleep 1000"]), { bundle: base, logPath: log });
  assert.equal(created.status, "created");
  assert.ok(created.pid && created.pid > 0);
  const cgroup = cgroups.open(id);
  assert.ok(cgroup, "the container has its cgroup");
  assert.deepEqual(cgroup.pids(), [created.pid], "init is in the cgroup before start");
  assert.equal(logText(log), "", "nothing runs before start");

  await rt.start(id);
  assert.equal(rt.state(id).status, "running");
  await waitFor(() => logText(log) === "started\n", { what: "the output" });
  assert.deepEqual(rt.list().map((c) => c.id), [id]);
  await assert.rejects(rt.delete(id), /is running/);

  await rt.kill(id, "KILL");
  await waitFor(() => rt.state(id).status === "stopped", { what: "the stop" });
  assert.equal(rt.state(id).exit?.exitCode, 137);
  assert.equal(rt.state(id).exit?.signal, 9);
  await rt.delete(id);
  assert.equal(fs.existsSync(path.join(base, "run", id)), false, "state directory removed");
  assert.equal(cgroups.open(id), undefined, "cgroup removed");
  await assert.rejects(async () => rt.state(id), (e) => e instanceof MydockerError && e.code === "not-found");
});

test("start of a created container whose process died fails at once instead of waiting forever", { skip }, async () => {
  const id = newId();
  const created = await rt.create(id, spec(id, ["true"]), { bundle: base });
  process.kill(created.pid!, "SIGKILL");
  // The kill lands when the kernel gets to it: the process has died once it is gone or a zombie.
  const dead = () => !fs.existsSync(`/proc/${created.pid}`) || /^State:\s+[ZX]/m.test(fs.readFileSync(`/proc/${created.pid}/status`, "utf8"));
  await waitFor(() => {
    try {
      return dead();
    } catch {
      return true;
    }
  }, { what: "the killed init to die" });
  const t0 = Date.now();
  await assert.rejects(rt.start(id), /its process ended before it was started/);
  // Far below forever, with room for a loaded machine.
  assert.ok(Date.now() - t0 < 10_000, `start gave up after ${Date.now() - t0} ms`);
  await rt.delete(id, { force: true });
  assert.equal(cgroups.open(id), undefined, "cgroup removed");
});

test("run to an exit code, with docker's defaults inside", { skip }, async () => {
  const id = newId();
  const log = path.join(base, `${id}.log`);
  const script = [
    "grep CapEff /proc/self/status",
    "hostname",
    "echo pid $$",
    "wc -c < /proc/keys",
    "touch /proc/sys/x 2>/dev/null || echo sys-ro",
    "ls /dev/null /dev/zero /dev/ptmx >/dev/null && echo dev-ok",
    "echo err >&2",
    "exit 7",
  ].join("; ");
  const h = await rt.run(id, spec(id, ["sh", "-c", script]), { bundle: base, stdio: "ignore", logPath: log });
  assert.ok(h.pid > 0 && h.shimPid > 0);
  assert.deepEqual(await h.wait(), { exitCode: 7, signal: 0 });
  assert.equal(logText(log), "CapEff:\t00000000a80425fb\nmydocker\npid 1\n0\nsys-ro\ndev-ok\nerr\n");
  assert.equal(fs.existsSync(path.join(base, "run", id)), false, "run deletes its state after the exit");
  assert.equal(cgroups.open(id), undefined);
});

test("a read-only root, a user and a working directory", { skip }, async () => {
  const id = newId();
  const log = path.join(base, `${id}.log`);
  const s = spec(id, ["sh", "-c", "id -u; id -g; pwd; touch /x 2>/dev/null || echo root-ro"], (x) => {
    x.root!.readonly = true;
    x.process!.user = { uid: 1000, gid: 1000 };
    x.process!.cwd = "/home/app";
  });
  const h = await rt.run(id, s, { bundle: base, stdio: "ignore", logPath: log });
  assert.deepEqual(await h.wait(), { exitCode: 0, signal: 0 });
  assert.equal(logText(log), "1000\n1000\n/home/app\nroot-ro\n");
});

test("exec into a running container joins its namespaces and cgroup", { skip }, async () => {
  const id = newId();
  await rt.create(id, spec(id, ["sleep", "1000"]), { bundle: base });
  await rt.start(id);
  const out = path.join(base, "rootfs/tmp", `${id}.out`);
  // It waits until the test has looked at its cgroup: else it may be gone by then.
  const go = `while [ ! -e /tmp/${id}.go ]; do sleep 0.05; done`;
  const e = await rt.exec(
    id,
    { user: { uid: 0, gid: 0 }, args: ["sh", "-c", `${go}; (echo $$; hostname; ps -o comm | sed 1d | head -1) > /tmp/${id}.out; exit 5`], cwd: "/", env: ["PATH=/bin"] },
    {},
  );
  assert.ok(cgroups.open(id)?.pids().includes(e.pid), "the exec'd process is in the container's cgroup");
  fs.writeFileSync(path.join(base, "rootfs/tmp", `${id}.go`), "");
  assert.deepEqual(await e.wait(), { exitCode: 5, signal: 0 });
  fs.rmSync(path.join(base, "rootfs/tmp", `${id}.go`));
  // A pid of its own in the container's pid namespace (init is 1), its hostname, its processes.
  assert.match(fs.readFileSync(out, "utf8"), /^[2-9]\d*\nmydocker\nsleep\n$/);
  fs.rmSync(out);

  const execLog = path.join(base, `${id}.exec.log`);
  const logged = await rt.exec(id, { user: { uid: 1000, gid: 1000 }, args: ["id", "-u"], cwd: "/" }, { detach: true, logPath: execLog });
  await assert.rejects(logged.wait(), /cannot be waited for/);
  await waitFor(() => logText(execLog) === "1000\n", { what: "the detached exec's output" });

  await assert.rejects(
    rt.exec(id, { user: { uid: 0, gid: 0 }, args: ["nope"], cwd: "/" }, {}),
    (err) => err instanceof MydockerError && err.exitStatus === 127 && err.message === 'exec: "nope": executable file not found in $PATH',
  );
  assert.equal(rt.state(id).status, "running", "a failed exec leaves the container alone");
  await rt.delete(id, { force: true });
  assert.equal(cgroups.open(id), undefined);
});

test("a piped exec's and a helper's output wait for a reader that comes only after they ended", { skip }, async () => {
  // On a loaded machine the caller may take the outputs after the process ended: node drops
  // what an exited child's unread output holds unless it was taken at the spawn.
  const id = newId();
  await rt.create(id, spec(id, ["sleep", "1000"]), { bundle: base });
  await rt.start(id);
  // An output already read to its end (by no one) has nothing left: "".
  const text = (s: Readable) =>
    s.readableEnded
      ? Promise.resolve("")
      : new Promise<string>((resolve) => {
          let t = "";
          s.on("data", (d: Buffer) => (t += d));
          s.on("end", () => resolve(t));
        });
  const e = await rt.exec(id, { user: { uid: 0, gid: 0 }, args: ["sh", "-c", "cat; echo err >&2"], cwd: "/", env: ["PATH=/bin"] }, { pipe: true, stdin: true });
  e.pipes!.stdin.end("piped\n");
  assert.deepEqual(await e.wait(), { exitCode: 0, signal: 0 });
  assert.deepEqual(await Promise.all([text(e.pipes!.stdout), text(e.pipes!.stderr)]), ["piped\n", "err\n"]);
  const h = await rt.helper({ id }, { program: "/bin/busybox", argv: ["echo", "from the helper"] });
  h.stdin.end();
  assert.equal((await h.wait()).exitCode, 0);
  assert.equal(await text(h.stdout), "from the helper\n");
  await rt.delete(id, { force: true });
});

test("a failure leaves nothing behind", { skip }, async () => {
  for (const [args, status, message] of [
    [["nope"], 127, 'exec: "nope": executable file not found in $PATH'],
    [["/etc/passwd"], 126, 'exec: "/etc/passwd": permission denied'],
  ] as const) {
    const id = newId();
    await assert.rejects(
      rt.run(id, spec(id, [...args]), { bundle: base, stdio: "ignore" }),
      (e) => e instanceof MydockerError && e.exitStatus === status && e.message === message,
    );
    assert.equal(fs.existsSync(path.join(base, "run", id)), false, "no state directory");
    assert.equal(cgroups.open(id), undefined, "no cgroup");
  }
  const id = newId();
  await assert.rejects(
    rt.create(id, spec(id, ["true"]), { bundle: base, onPid: async () => Promise.reject(new Error("network setup failed")) }),
    /network setup failed/,
  );
  assert.equal(fs.existsSync(path.join(base, "run", id)), false);
  assert.equal(cgroups.open(id), undefined);
  const bad = newId();
  await assert.rejects(rt.create(bad, spec(bad, ["true"], (s) => (s.process!.cwd = "relative")), { bundle: base }), /process.cwd: must be an absolute path/);
  assert.equal(fs.existsSync(path.join(base, "run", bad)), false);
});

test("a container whose monitor was killed is reported stopped and can be deleted", { skip }, async () => {
  const id = newId();
  const st = await rt.create(id, spec(id, ["sleep", "1000"]), { bundle: base });
  await rt.start(id);
  process.kill(st.shimPid!, "SIGKILL");
  try {
    process.kill(st.pid!, "SIGKILL");
  } catch {
    // the shim may take its child along
  }
  await waitFor(() => rt.state(id).status === "stopped", { what: "the stale state" });
  assert.equal(rt.state(id).exit, undefined, "nobody wrote an exit file");
  await rt.delete(id);
  assert.equal(fs.existsSync(path.join(base, "run", id)), false);
  assert.equal(cgroups.open(id), undefined);
});

test("a creator killed with -9 in the middle of create leaves nothing running, and state the next command removes", { skip }, async () => {
  const id = newId();
  const url = (rel: string) => JSON.stringify(new URL(rel, import.meta.url).href);
  // Another process creates it and is held at onPid, the state file written, its shim waiting for go.
  const script = `
    const { Runtime, defaultSpec } = await import(${url("../../src/runtime/index.js")});
    const { detectCgroupDriver } = await import(${url("../../src/cgroups/index.js")});
    const rt = new Runtime({ runRoot: ${JSON.stringify(path.join(base, "run"))}, cgroups: detectCgroupDriver() });
    const s = defaultSpec();
    s.process.args = ["true"];
    s.linux.cgroupsPath = ${JSON.stringify(id)};
    await rt.create(${JSON.stringify(id)}, s, { bundle: ${JSON.stringify(base)}, onPid: () => { console.log("held"); return new Promise(() => {}); } });`;
  const creator = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const gone = new Promise((resolve) => creator.once("exit", resolve));
  let out = "";
  creator.stdout.on("data", (d: Buffer) => (out += d.toString()));
  await waitFor(() => out.includes("held"), { what: "the creator held at onPid" });
  const held = rt.state(id);
  assert.equal(held.status, "creating", "its shim lives");
  assert.ok(held.shimPid !== undefined && processStartTime(held.shimPid) !== undefined, "the shim is in the state file");
  assert.ok(cgroups.open(id), "its cgroup exists");
  creator.kill("SIGKILL");
  await gone;
  // The shim reads the end of its control socket, kills the child it held and exits.
  await waitFor(() => rt.state(id).status === "stopped", { what: "the debris to read as stopped" });
  assert.equal(processStartTime(held.shimPid), undefined, "the shim is gone");
  await rt.delete(id);
  assert.equal(fs.existsSync(path.join(base, "run", id)), false);
  assert.equal(cgroups.open(id), undefined);
});

test("the directory of a create killed before its state file is removed by delete", { skip }, async () => {
  const id = newId();
  // What a kill -9 between the directory and the first write of state.json leaves.
  fs.mkdirSync(path.join(base, "run", id));
  assert.ok(!rt.list().some((c) => c.id === id), "not listed as a container");
  await rt.delete(id);
  assert.equal(fs.existsSync(path.join(base, "run", id)), false);
  await assert.rejects(rt.delete(id), /does not exist/);
});

test("pause and resume freeze the container's cgroup: a counter stands still, then moves on", { skip }, async () => {
  const id = newId();
  const counter = "i=0; while :; do i=$((i+1)); echo $i > /tmp/n.new; mv /tmp/n.new /tmp/n; sleep 0.02; done";
  const created = await rt.create(id, spec(id, ["sh", "-c", counter]), { bundle: base });
  await rt.start(id);
  // Read through the process's root from the host: nothing runs in a frozen container.
  const file = `/proc/${created.pid}/root/tmp/n`;
  const count = () => (fs.existsSync(file) ? Number(fs.readFileSync(file, "utf8")) : 0);
  await waitFor(() => count() >= 3, { what: "the counter to move" });
  await rt.pause(id);
  assert.equal(rt.state(id).status, "paused");
  await assert.rejects(rt.pause(id), /is paused, not running/);
  const frozenAt = count();
  // Twenty of the counter's steps: time for it to move if it were not frozen.
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(count(), frozenAt, "nothing runs while paused");
  await rt.resume(id);
  assert.equal(rt.state(id).status, "running");
  await waitFor(() => count() > frozenAt, { what: "the counter to move again after resume" });
  await rt.delete(id, { force: true });
});

test("the exit command runs after the exit file is written", { skip }, async () => {
  const id = newId();
  const marker = path.join(base, `${id}.done`);
  const exitFile = path.join(base, "run", id, "exit");
  await rt.create(id, spec(id, ["sh", "-c", "exit 3"]), {
    bundle: base,
    exitCommand: ["/bin/sh", "-c", `cat ${exitFile} > ${marker}`],
  });
  await rt.start(id);
  await waitFor(() => fs.existsSync(marker) && fs.readFileSync(marker, "utf8") !== "", { what: "the exit command" });
  assert.match(fs.readFileSync(marker, "utf8"), /^3 0 \d+\n$/);
  assert.equal(rt.state(id).exit?.exitCode, 3);
  await rt.delete(id);
});

test("the host's mount table is unchanged", { skip }, async () => {
  // Other suites may mount things meanwhile on this shared machine: compare what concerns us.
  const ours = (text: string) => text.split("\n").filter((l) => l.includes(base) || l.includes("mydocker-rt-"));
  assert.deepEqual(ours(fs.readFileSync("/proc/self/mountinfo", "utf8")), ours(mountsBefore));
  assert.deepEqual(ours(mountsBefore), []);
});

test("a missing shim is a clear error and leaves nothing behind", { skip }, async () => {
  const id = newId();
  const broken = new Runtime({ runRoot: path.join(base, "run"), cgroups, shimPath: path.join(base, "no-such-shim") });
  await assert.rejects(broken.create(id, spec(id, ["true"]), { bundle: base }), /cannot run the shim .*no-such-shim/);
  assert.equal(fs.existsSync(path.join(base, "run", id)), false);
  assert.equal(cgroups.open(id), undefined);
});
