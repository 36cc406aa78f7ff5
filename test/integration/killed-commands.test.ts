// A command killed half way (kill -9) leaves work for the next one: a start that made the
// container's process but never let it go, a run --rm that recorded the end but did not
// remove the container. The next command, whatever it is, finishes it.
//
// The moment of the kill is made exact by a child Node program driving the engine library
// with one runtime call held forever; the kill, the leftovers and the recovery are real.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isRoot, mydocker, NOT_ROOT, tempRoots, type Roots } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait.js";

const skip = isRoot() ? false : NOT_ROOT;
const INDEX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src/index.js");

/** Runs `call` on an engine whose method `held` (a path below it) never returns; resolves once it was reached. */
async function killedAt(roots: Roots, held: "runtime.start" | "runtime.delete" | "images.commitLayer", call: string): Promise<void> {
  const script = `
    const { Engine } = await import(${JSON.stringify(INDEX)});
    const e = new Engine({ root: process.env.MYDOCKER_ROOT, runRoot: process.env.MYDOCKER_RUNROOT, cgroupParent: process.env.MYDOCKER_CGROUP_PARENT, launcher: false });
    e.${held} = () => { process.stdout.write("held\\n"); return new Promise(() => {}); };
    await e.${call};`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { env: roots.env, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d));
  const closed = new Promise((resolve) => child.on("close", resolve));
  try {
    await waitFor(() => out.includes("held") || child.exitCode !== null, { timeoutMs: 30_000, what: `the engine to reach ${held}` });
    assert.equal(out, "held\n", "the child reached the held call");
  } finally {
    child.kill("SIGKILL");
    await closed;
  }
}

const alive = (pid: number) => fs.existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, "utf8"));

test("a start killed before it let the process go: the next command releases the waiting shim", { skip }, async () => {
  const roots = tempRoots();
  try {
    const id = mydocker(roots, ["create", "--name", "held-start", "busybox", "sleep", "60"]).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    await killedAt(roots, "runtime.start", 'start("held-start")');
    const state = JSON.parse(fs.readFileSync(path.join(roots.runRoot, id, "state.json"), "utf8")) as { shimPid: number; pid: number; status: string };
    assert.ok(alive(state.shimPid) && alive(state.pid), "the killed start left a shim and an init waiting");

    const other = mydocker(roots, ["images", "-q"]);
    assert.equal(other.status, 0, other.stderr);
    await waitFor(() => !alive(state.shimPid) && !alive(state.pid), { timeoutMs: 10_000, what: "the orphan shim and init to be gone" });
    assert.equal(fs.existsSync(path.join(roots.runRoot, id)), false, "the runtime state is released");
    assert.equal(mydocker(roots, ["inspect", "-f", "{{.State.Status}}", "held-start"]).stdout, "created\n");
    const again = mydocker(roots, ["start", "held-start"]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(mydocker(roots, ["inspect", "-f", "{{.State.Status}}", "held-start"]).stdout, "running\n");
  } finally {
    roots.cleanup();
  }
});

test("a run --rm killed after it recorded the end: the next command removes the container", { skip }, async () => {
  const roots = tempRoots();
  try {
    assert.equal(mydocker(roots, ["run", "--rm", "busybox", "true"]).status, 0);
    await killedAt(roots, "runtime.delete", 'run({ image: "busybox", cmd: ["true"], name: "held-run", autoRemove: true }, { stdio: "ignore" })');
    // The killed run left it exited, with AutoRemove set and nobody to remove it; a command
    // that does not list containers finishes the removal.
    assert.equal(mydocker(roots, ["volume", "ls", "-q"]).status, 0);
    assert.equal(mydocker(roots, ["ps", "-aq"]).stdout, "");
    assert.equal(mydocker(roots, ["inspect", "held-run"]).status, 1);
  } finally {
    roots.cleanup();
  }
});

test("a commit killed while the container was frozen: the next command thaws it", { skip }, async () => {
  const roots = tempRoots();
  try {
    const id = mydocker(roots, ["run", "-d", "--name", "held-commit", "busybox", "sleep", "60"]).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    await killedAt(roots, "images.commitLayer", 'commit("held-commit", "held:1")');
    const state = mydocker(roots, ["inspect", "-f", "{{.State.Status}}", "held-commit"]);
    assert.equal(state.stdout, "running\n", state.stderr);
    const exec = mydocker(roots, ["exec", "held-commit", "echo", "thawed"], { timeout: 20_000 });
    assert.equal(exec.stdout, "thawed\n", `a frozen container cannot run exec: ${exec.stderr}`);
  } finally {
    roots.cleanup();
  }
});
