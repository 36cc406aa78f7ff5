// The Engine library, used from a running Node program as the README shows.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Engine } from "../../src/index.js";
import { isRoot, NOT_ROOT, removeCgroupParent } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait.js";

const skip = isRoot() ? false : NOT_ROOT;
let base: string;
let engine: Engine;

before(() => {
  if (skip) return;
  base = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-lib-"));
  engine = new Engine({ root: path.join(base, "root"), runRoot: path.join(base, "run"), cgroupParent: path.basename(base) });
});
after(async () => {
  if (!engine) return;
  const containers = await engine.list(true);
  // A detached container's monitor becomes its exit command, which opens the store: the
  // roots go once those processes have ended, not while one is writing in them.
  const monitors = containers.flatMap((c) => {
    try {
      return [engine.runtime.state(c.id).shimPid ?? 0].filter((pid) => pid > 0);
    } catch {
      return [];
    }
  });
  for (const c of containers) await engine.remove(c.id, { force: true });
  // The default bridge's pool and the runs this process is still releasing: gone before the roots.
  await engine.networks.prune();
  engine.close();
  await waitFor(() => monitors.every((pid) => !fs.existsSync(`/proc/${pid}`)), { what: "the monitors' exit commands to end", timeoutMs: 60_000 });
  removeCgroupParent(path.basename(base));
  fs.rmSync(base, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

test("run resolves with the exit code; 16 concurrent runs all succeed", { skip }, async () => {
  assert.deepEqual((await engine.run({ image: "busybox", cmd: ["sh", "-c", "exit 3"], autoRemove: true }, { stdio: "ignore" })).exitCode, 3);
  const runs = await Promise.all(
    Array.from({ length: 16 }, (_, i) => engine.run({ image: "busybox", cmd: ["sh", "-c", `exit ${i}`], autoRemove: true }, { stdio: "ignore" })),
  );
  assert.deepEqual(runs.map((r) => r.exitCode), Array.from({ length: 16 }, (_, i) => i));
  assert.deepEqual(await engine.list(true), []);
});

test("detached: logs as an async iterable, exec, inspect, stop, wait, remove", { skip }, async () => {
  const id = await engine.runDetached({ image: "busybox", cmd: ["sh", "-c", "echo one; echo two >&2; sleep 30"], name: "lib1" });
  assert.equal(engine.inspect("lib1").State.Running, true);
  const exec = await engine.exec("lib1", { cmd: ["sh", "-c", "exit 5"] });
  assert.equal((await exec.wait()).exitCode, 5);
  await engine.stop(id, 1);
  assert.equal(await engine.wait(id), 137);
  const lines: string[] = [];
  for await (const e of engine.logs(id)) lines.push(`${e.stream}:${e.text.toString()}`);
  assert.deepEqual(lines, ["stdout:one\n", "stderr:two\n"]);
  await engine.remove(id);
  assert.throws(() => engine.inspect(id), /No such container/);
});
