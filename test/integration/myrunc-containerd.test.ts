// containerd 1.6 driving bin/myrunc through its runc shim (ctr --runc-binary): a containerd
// of the test's own (config, root, state, socket; CRI off), an image the engine saved,
// run --rm with the exit status, a pty, exec, kill, ps, pause/resume, and a failing start.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { mydocker, tempRoots, type Roots } from "../helpers/cli.js";
import { installed, MYRUNC, runcEnv, type RuncEnv } from "../helpers/myrunc.js";
import { runtimeSkip } from "../helpers/runtime.js";
import { waitFor } from "../helpers/wait.js";

const skip = runtimeSkip() || (!installed("containerd") || !installed("ctr") ? "containerd and ctr are not installed (apt-get install containerd)" : false);
const IMAGE = "localhost/myrunc-bb:latest";
let env: RuncEnv;
let roots: Roots;
let daemon: ChildProcess | undefined;
let sock: string;
let runcRoot: string;

function ctr(args: string[], timeout = 60_000) {
  return spawnSync("ctr", ["--address", sock, ...args], { encoding: "utf8", timeout, killSignal: "SIGKILL" });
}

/** ctr run --rm with myrunc as the runtime binary. */
function ctrRun(id: string, cmd: string[], flags: string[] = []) {
  return ctr(["run", "--rm", ...flags, "--runc-binary", MYRUNC, "--runc-root", runcRoot, "--cgroup", `/${env.cgroupParent}/${id}`, IMAGE, id, ...cmd]);
}

before(async () => {
  if (skip) return;
  env = runcEnv("myrunc-ctd-");
  roots = tempRoots("myrunc-ctd-engine-");
  const dir = path.join(env.base, "containerd");
  fs.mkdirSync(dir);
  sock = path.join(dir, "c.sock");
  runcRoot = path.join(dir, "runc");
  fs.writeFileSync(
    path.join(dir, "config.toml"),
    [
      "version = 2",
      `root = "${dir}/root"`,
      `state = "${dir}/state"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      "[grpc]",
      `  address = "${sock}"`,
      "[ttrpc]",
      `  address = "${sock}.ttrpc"`,
      "",
    ].join("\n"),
  );
  daemon = spawn("containerd", ["--config", path.join(dir, "config.toml")], { stdio: ["ignore", "ignore", fs.openSync(path.join(dir, "containerd.log"), "w")] });
  await waitFor(() => ctr(["version"], 5000).status === 0, { what: "containerd to serve its socket" });
  // The image: the test's busybox rootfs imported into the engine, saved as a docker-archive.
  const tar = path.join(env.base, "rootfs.tar");
  spawnSync("tar", ["-C", path.join(env.base, "rootfs"), "-cf", tar, "."]);
  assert.equal(mydocker(roots, ["import", tar, IMAGE]).status, 0);
  const archive = path.join(env.base, "bb.tar");
  assert.equal(mydocker(roots, ["save", "-o", archive, IMAGE]).status, 0);
  const imp = ctr(["images", "import", archive]);
  assert.equal(imp.status, 0, imp.stderr);
});

after(async () => {
  if (skip) return;
  for (const id of ctr(["task", "ls", "-q"]).stdout.split("\n").filter(Boolean)) ctr(["task", "rm", "-f", id]);
  for (const id of ctr(["containers", "ls", "-q"]).stdout.split("\n").filter(Boolean)) ctr(["containers", "rm", id]);
  if (daemon?.pid !== undefined) {
    daemon.kill("SIGTERM");
    await new Promise((r) => daemon!.once("exit", r));
  }
  // The runc shims containerd left (one per task, all ended above) and its mounts under our dir.
  spawnSync("sh", ["-c", `grep -o ' ${env.base}[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l`]);
  roots.cleanup();
  env.cleanup();
});

test("ctr run --rm passes the exit status and the output through", { skip }, () => {
  const r = ctrRun("rm1", ["sh", "-c", "echo hello from myrunc; exit 7"]);
  assert.equal(r.stdout, "hello from myrunc\n");
  assert.equal(r.status, 7, r.stderr);
});

test("ctr run -t gives the process a real pty", { skip }, () => {
  // ctr -t wants a terminal of its own: script(1) gives it one (the words are the test's own).
  const line = ["ctr", "--address", sock, "run", "--rm", "-t", "--runc-binary", MYRUNC, "--runc-root", runcRoot, "--cgroup", `/${env.cgroupParent}/tty1`, IMAGE, "tty1", "sh", "-c", "'tty; stty size; exit 3'"].join(" ");
  const r = spawnSync("script", ["-qec", line, "/dev/null"], { encoding: "utf8", timeout: 60_000, killSignal: "SIGKILL", input: "" });
  assert.match(r.stdout, /\/dev\/pts\/\d+/);
  assert.equal(r.status, 3, r.stdout + r.stderr);
});

test("a failing start: ctr's message carries myrunc's reason", { skip }, () => {
  const r = ctrRun("bad1", ["no-such-program"]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /no-such-program/);
  assert.match(r.stderr, /OCI runtime create failed/);
});

test("task exec, ps, pause/resume and kill of a detached task", { skip }, async () => {
  const run = ctr(["run", "-d", "--runc-binary", MYRUNC, "--runc-root", runcRoot, "--cgroup", `/${env.cgroupParent}/d1`, IMAGE, "d1", "sleep", "600"]);
  assert.equal(run.status, 0, run.stderr);
  const tasks = () => ctr(["task", "ls"]).stdout;
  assert.match(tasks(), /d1\s+\d+\s+RUNNING/);
  // An exec that ends at once, again and again: its exit reaches containerd's shim every time.
  for (let i = 0; i < 8; i++) {
    const ex = ctr(["task", "exec", "--exec-id", `e${i}`, "d1", "sh", "-c", `echo in exec ${i}; exit ${i + 4}`]);
    assert.equal(ex.stdout, `in exec ${i}\n`, `status ${ex.status} ${ex.stderr}`);
    assert.equal(ex.status, i + 4, ex.stderr);
  }
  const ps = ctr(["task", "ps", "d1"]);
  assert.equal(ps.status, 0, ps.stderr);
  assert.match(ps.stdout, /^\d+/m);
  assert.equal(ctr(["task", "pause", "d1"]).status, 0);
  assert.match(tasks(), /d1\s+\d+\s+PAUSED/);
  assert.equal(ctr(["task", "resume", "d1"]).status, 0);
  assert.match(tasks(), /d1\s+\d+\s+RUNNING/);
  assert.equal(ctr(["task", "kill", "-s", "KILL", "d1"]).status, 0);
  await waitFor(() => /d1\s+\d+\s+STOPPED/.test(tasks()), { what: "the killed task to stop" });
  assert.equal(ctr(["task", "rm", "d1"]).status, 0);
  assert.equal(ctr(["containers", "rm", "d1"]).status, 0);
  assert.deepEqual(fs.existsSync(path.join(runcRoot, "default", "d1")), false, "myrunc's state is gone");
});
