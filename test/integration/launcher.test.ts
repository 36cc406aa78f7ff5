// The library starts shims through one long-lived launcher (native/serve.c) rather than by
// forking the Node process each time: who is whose parent, what the shims inherit, what
// happens when the launcher or its caller goes away, and that nobody else can use it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Engine } from "../../src/index.js";
import { isRoot, mydocker, NOT_ROOT, REPO, tempRoots, type Roots } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait.js";

const skip = isRoot() ? false : NOT_ROOT;
let roots: Roots;
let engine: Engine;

before(() => {
  if (skip) return;
  roots = tempRoots("mydocker-launcher-");
  engine = new Engine({ root: roots.root, runRoot: roots.runRoot, cgroupParent: roots.cgroupParent });
});
after(() => {
  engine?.close();
  roots?.cleanup();
});

function parentOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

function cmdline(pid: number): string[] {
  return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
}

function shimPidOf(id: string): number {
  return JSON.parse(fs.readFileSync(path.join(roots.runRoot, id, "state.json"), "utf8")).shimPid as number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("every shim is a child of the same launcher, which is a child of this process", { skip }, async () => {
  const a = await engine.runDetached({ image: "busybox", cmd: ["sleep", "30"] });
  const b = await engine.runDetached({ image: "busybox", cmd: ["sleep", "30"] });
  const launcher = parentOf(shimPidOf(a));
  assert.equal(parentOf(shimPidOf(b)), launcher);
  assert.equal(parentOf(launcher), process.pid);
  assert.deepEqual(cmdline(launcher).slice(1, 2), ["--serve"]);
  await engine.remove(a, { force: true });
  await engine.remove(b, { force: true });
});

test("exit codes and signals come back through the launcher", { skip }, async () => {
  const run = (cmd: string) => engine.run({ image: "busybox", cmd: ["sh", "-c", cmd], autoRemove: true }, { stdio: "ignore" });
  assert.equal((await run("exit 7")).exitCode, 7);
  // PID 1 of a pid namespace cannot be killed from inside: a shell under it can.
  assert.equal((await run("sh -c 'kill -9 $$'; exit $?")).exitCode, 137);
  assert.equal((await engine.run({ image: "busybox", cmd: ["no-such-command"], autoRemove: true }, { stdio: "ignore" }).catch((e: { exitStatus: number }) => ({ exitCode: e.exitStatus }))).exitCode, 127);
});

test("a launcher that died is replaced by the next run", { skip }, async () => {
  const id = await engine.runDetached({ image: "busybox", cmd: ["sleep", "30"] });
  const launcher = parentOf(shimPidOf(id));
  process.kill(launcher, "SIGKILL");
  await waitFor(() => !alive(launcher) || fs.readFileSync(`/proc/${launcher}/stat`, "utf8").includes(") Z"), { what: "the launcher to end" });
  // Its shim lives on: the container still runs.
  assert.equal(engine.inspect(id).State.Running, true);
  assert.equal((await engine.run({ image: "busybox", cmd: ["true"], autoRemove: true }, { stdio: "ignore" })).exitCode, 0);
  await engine.remove(id, { force: true });
});

test("stdio inherit is the caller's; the launcher ends with its caller and detached containers stay", { skip }, async () => {
  const script = `
    import { Engine } from ${JSON.stringify(path.join(REPO, "dist/src/index.js"))};
    const e = new Engine({ root: ${JSON.stringify(roots.root)}, runRoot: ${JSON.stringify(roots.runRoot)}, cgroupParent: ${JSON.stringify(roots.cgroupParent)} });
    const r = await e.run({ image: "busybox", cmd: ["echo", "from the container"], autoRemove: true }, { stdio: "inherit" });
    const id = await e.runDetached({ image: "busybox", cmd: ["sleep", "30"], name: "outlives" });
    console.log("exit", r.exitCode);
  `;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "from the container\nexit 0\n");
  const ps = mydocker(roots, ["ps", "--format", "{{.Names}} {{.Status}}"]);
  assert.match(ps.stdout, /^outlives Up/m);
  // The launcher that process started goes with it.
  const launchers = () =>
    fs
      .readdirSync("/proc")
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return cmdline(Number(p)).includes("--serve") && cmdline(Number(p)).some((a) => a.startsWith(`mydocker-launcher-${r.pid}-`));
        } catch {
          return false;
        }
      });
  await waitFor(() => launchers().length === 0, { what: "the launcher to end" });
  mydocker(roots, ["rm", "-f", "outlives"]);
});

test("the launcher takes connections from its parent only", { skip }, async () => {
  const id = await engine.runDetached({ image: "busybox", cmd: ["sleep", "30"] });
  const launcher = parentOf(shimPidOf(id));
  const name = cmdline(launcher)[2];
  const before = fs.readFileSync(`/proc/${launcher}/task/${launcher}/children`, "utf8").trim().split(/\s+/).length;
  // Another process (a child of ours, so not the launcher's parent) connects and sends a plan.
  const other = spawnSync(
    process.execPath,
    [
      "-e",
      `const s = require("net").createConnection({ path: "\\0" + process.argv[1] });
       let got = ""; s.on("data", (d) => (got += d)); s.on("error", () => {});
       s.on("close", () => { process.stdout.write(JSON.stringify(got)); });
       s.write("spawn 0 0\\n7\\nclone\\u00000\\u0000");`,
      name,
    ],
    { encoding: "utf8", timeout: 10_000 },
  );
  assert.equal(other.stdout, '""', "the connection must be closed without a word");
  const after = fs.readFileSync(`/proc/${launcher}/task/${launcher}/children`, "utf8").trim().split(/\s+/).length;
  assert.equal(after, before, "no shim was forked for it");
  await engine.remove(id, { force: true });
});
