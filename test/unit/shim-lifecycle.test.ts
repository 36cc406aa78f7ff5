// `mydocker-shim --lifecycle FILE`, the later steps of a handed-off container that bin/myrunc
// runs without node (src/runtime/lifecycle-plan.ts), on files of the test's own: each step
// does its work, or declines (exit 3) before changing anything when things are not as the
// plan expects, so that the runtime's own command can run instead.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { encodePlan, type LifecycleStep, type PlanStep } from "../../src/runtime/plan.js";
import { processStartTime } from "../../src/runtime/proc.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const SHIM = path.join(REPO, "native/mydocker-shim");
const skip = fs.existsSync(SHIM) ? false : `${SHIM} is missing: build it with make -C native`;
const DECLINED = 3;

let dir: string;
let n = 0;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-lifecycle-"));
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function planFile(steps: (LifecycleStep | PlanStep)[]): string {
  const file = path.join(dir, `plan-${++n}`);
  fs.writeFileSync(file, encodePlan(steps as LifecycleStep[]));
  return file;
}

function lifecycle(steps: LifecycleStep[], mode = "--lifecycle"): { status: number | null; stderr: string } {
  const r = spawnSync(SHIM, [mode, planFile(steps)], { encoding: "utf8", timeout: 10_000 });
  return { status: r.status, stderr: r.stderr };
}

/** A directory of the test's own with files (and, with sub, a directory) in it. */
function stateDir(sub = false): string {
  const d = fs.mkdtempSync(path.join(dir, "state-"));
  for (const f of ["state.json", "delete.plan", "exec.fifo"]) fs.writeFileSync(path.join(d, f), "x");
  if (sub) fs.mkdirSync(path.join(d, "sub"));
  return d;
}

const self = (): Extract<LifecycleStep, { op: "gone" }> => ({ op: "gone", pid: process.pid, startTime: processStartTime(process.pid) as string });

test("a lifecycle plan and a container's plan do not take each other's records", { skip }, () => {
  const steps: LifecycleStep[] = [{ op: "awaitstart", fifo: "/run/x/exec.fifo", pid: 1, startTime: "2" }, self(), { op: "rmdir", path: "/sys/fs/cgroup/x" }, { op: "cleardir", path: "/run/x" }];
  assert.deepEqual(lifecycle(steps, "--check-lifecycle"), { status: 0, stderr: "" });
  assert.deepEqual(lifecycle([], "--lifecycle"), { status: 125, stderr: "mydocker-shim: -1 lifecycle: Invalid argument (errno 22): the plan has no record\n" }, "an empty plan is none, not a step done");
  assert.deepEqual(lifecycle([{ op: "clone", flags: 0 } as unknown as LifecycleStep], "--check-lifecycle"), { status: 125, stderr: "mydocker-shim: 0 clone: Invalid argument (errno 22): not a lifecycle record\n" });
  const r = spawnSync(SHIM, ["--check-plan", planFile([{ op: "clone", flags: 0 }, { op: "rmdir", path: "/x" }, { op: "exec", searchPath: "/bin", argv: ["true"] }])], { encoding: "utf8" });
  assert.equal(r.stderr, "mydocker-shim: 1 rmdir: Invalid argument (errno 22): a lifecycle record, not for a container's plan\n");
});

test("delete's steps: a live process declines before anything is removed; once it is gone, the directories go", { skip }, () => {
  const d = stateDir();
  const empty = fs.mkdtempSync(path.join(dir, "cgroup-"));
  const steps: LifecycleStep[] = [self(), { op: "rmdir", path: empty }, { op: "cleardir", path: d }];
  assert.deepEqual(lifecycle(steps), { status: DECLINED, stderr: "" });
  assert.ok(fs.existsSync(empty) && fs.existsSync(path.join(d, "state.json")), "nothing removed");

  const gone: LifecycleStep = { ...self(), startTime: String(Number(processStartTime(process.pid)) + 1) };
  assert.deepEqual(lifecycle([gone, ...steps.slice(1)]), { status: 0, stderr: "" }, "the same pid started at another time is not the process");
  assert.equal(fs.existsSync(empty) || fs.existsSync(d), false);
  assert.deepEqual(lifecycle(steps.slice(1)), { status: 0, stderr: "" }, "what is gone already is no error");
});

test("delete's steps: a directory still in use or holding a directory declines, and the state is kept", { skip }, () => {
  const busy = fs.mkdtempSync(path.join(dir, "cgroup-"));
  fs.writeFileSync(path.join(busy, "x"), "");
  const d = stateDir();
  assert.deepEqual(lifecycle([{ op: "rmdir", path: busy }, { op: "cleardir", path: d }]), { status: DECLINED, stderr: "" });
  assert.ok(fs.existsSync(path.join(d, "state.json")));
  const nested = stateDir(true);
  assert.deepEqual(lifecycle([{ op: "cleardir", path: nested }]), { status: DECLINED, stderr: "" });
  assert.deepEqual(fs.readdirSync(nested).sort(), ["delete.plan", "exec.fifo", "state.json", "sub"], "not one file removed");
});

test("start's step: the waiting process's byte is read and the FIFO removed; a missing FIFO or a process gone without its byte declines", { skip }, async () => {
  const fifo = path.join(dir, "exec.fifo");
  mkfifo(fifo);
  // The created init's side: opens the FIFO for writing (blocking until start opens it), writes one byte.
  const init = spawn("sh", ["-c", `printf 0 > ${fifo}; exec sleep 5`], { stdio: "ignore" });
  const pid = init.pid as number;
  const startTime = await waitStartTime(pid);
  assert.deepEqual(lifecycle([{ op: "awaitstart", fifo, pid, startTime }]), { status: 0, stderr: "" });
  assert.equal(fs.existsSync(fifo), false, "only a start removes the FIFO");
  assert.deepEqual(lifecycle([{ op: "awaitstart", fifo, pid, startTime }]), { status: DECLINED, stderr: "" }, "started already");
  init.kill("SIGKILL");

  mkfifo(fifo);
  const dead = spawn("sh", ["-c", "exit 0"], { stdio: "ignore" });
  const deadStart = processStartTime(dead.pid as number) ?? "1";
  await new Promise((r) => dead.once("exit", r));
  assert.deepEqual(lifecycle([{ op: "awaitstart", fifo, pid: dead.pid as number, startTime: deadStart }]), { status: DECLINED, stderr: "" }, "the init is gone");
  assert.ok(fs.existsSync(fifo), "the FIFO is kept for the runtime's start to report");
});

function mkfifo(file: string): void {
  assert.equal(spawnSync("mkfifo", [file]).status, 0, `mkfifo ${file}`);
}

async function waitStartTime(pid: number): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const t = processStartTime(pid);
    if (t) return t;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`process ${pid} has no start time`);
}
