// bin/myrunc's runc contract, as containerd's shim and conmon rely on it: the pid file, the
// init left to the caller, --log JSON error lines and runc's messages and exit codes, fd
// hygiene, and a create that fails with the reason.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { cgroupDirs, REPO } from "../helpers/cli.js";
import { commOf, MYRUNC, parentOf, runcEnv, spawnMyrunc, type RuncEnv } from "../helpers/myrunc.js";
import { runtimeSkip } from "../helpers/runtime.js";
import { waitFor } from "../helpers/wait.js";

const skip = runtimeSkip();
let env: RuncEnv;

before(() => {
  if (!skip) env = runcEnv("myrunc-test-");
});
after(() => env?.cleanup());

function state(id: string): { status: string; pid: number; annotations?: Record<string, string> } {
  const r = env.myrunc(["state", id]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test("create, start, state, kill, delete with runc's pid file, parentage and messages", { skip }, async () => {
  const bundle = env.bundle("life", ["sleep", "60"], (s) => (s.annotations = { "org.example/k": "v" }));
  const pidFile = path.join(env.base, "life.pid");
  const c = env.myrunc(["create", "--bundle", bundle, "--pid-file", pidFile, "life"], { detached: true });
  assert.equal(c.status, 0, c.stderr);
  const text = fs.readFileSync(pidFile, "utf8");
  assert.match(text, /^\d+$/, "the pid file holds the decimal pid with no newline");
  const pid = Number(text);
  const created = state("life");
  assert.equal(created.status, "created");
  assert.equal(created.pid, pid);
  assert.deepEqual(created.annotations, { "org.example/k": "v" });
  // No monitor stays: the init belongs to whoever reaps orphans for the caller.
  assert.notEqual(commOf(parentOf(pid)), "mydocker-shim");

  assert.equal(env.myrunc(["start", "life"], { detached: true }).status, 0);
  assert.equal(state("life").status, "running");
  assert.equal(commOf(pid), "sleep");
  const ps = env.myrunc(["ps", "--format", "json", "life"]);
  assert.deepEqual(JSON.parse(ps.stdout), [pid]);
  const list = env.myrunc(["list", "-q"]);
  assert.deepEqual(list.stdout.trim().split("\n"), ["life"]);

  assert.equal(env.myrunc(["kill", "life", "KILL"]).status, 0);
  await waitFor(() => state("life").status === "stopped", { what: "the killed container to be stopped" });
  assert.equal(state("life").pid, 0);
  const again = env.myrunc(["kill", "life", "9"]);
  assert.equal(again.status, 1);
  assert.equal(again.stderr.trim(), "container not running");
  assert.equal(env.errors().at(-1), "container not running");

  assert.equal(env.myrunc(["delete", "life"]).status, 0);
  assert.deepEqual(cgroupDirs(`${env.cgroupParent}/life`), []);
  const gone = env.myrunc(["state", "life"]);
  assert.equal(gone.status, 1);
  assert.equal(env.errors().at(-1), "container does not exist");
  assert.equal(env.myrunc(["kill", "life"]).stderr.trim(), "container does not exist");
  assert.equal(env.myrunc(["delete", "--force", "life"]).status, 0, "delete --force of a missing container is no error");
  assert.equal(env.myrunc(["delete", "life"]).status, 1);
});

test("start and delete, as containerd runs them, need no node; a container not as it was made gets node's answer", { skip }, async () => {
  const bare = { withoutNode: true };
  const bundle = env.bundle("plain", ["sleep", "60"]);
  assert.equal(env.myrunc(["create", "--bundle", bundle, "plain"], { detached: true }).status, 0);
  const { pid } = state("plain");
  assert.equal(env.myrunc(["start", "plain"], { detached: true, ...bare }).status, 0, "start of a created container");
  assert.equal(commOf(pid), "sleep");
  assert.equal(state("plain").status, "running");

  // Not as made: a started one, a running one; without node nothing is done, with node its message.
  const notNode = (r: { status: number | null; stderr: string }) => assert.deepEqual([r.status, r.stderr.trim()], [127, "myrunc: node is not on PATH"]);
  notNode(env.myrunc(["start", "plain"], bare));
  assert.match(env.myrunc(["start", "plain"]).stderr, /container "plain" is running: only a created container can be started/);
  notNode(env.myrunc(["delete", "plain"], bare));
  assert.equal(commOf(pid), "sleep", "a declined delete left it running");
  assert.match(env.myrunc(["delete", "plain"]).stderr, /cannot delete container "plain" that is running/);

  assert.equal(env.myrunc(["kill", "plain", "KILL"]).status, 0);
  await waitFor(() => state("plain").status === "stopped", { what: "the killed container to be stopped" });
  assert.equal(env.myrunc(["delete", "plain"], bare).status, 0, "delete of a stopped container");
  assert.deepEqual(cgroupDirs(`${env.cgroupParent}/plain`), [], "its cgroup is gone in every hierarchy");
  assert.equal(fs.existsSync(path.join(env.root, "plain")), false, "its state is gone");
  assert.equal(env.myrunc(["delete", "--force", "plain"], bare).status, 0, "delete --force of a missing container");
  notNode(env.myrunc(["delete", "plain"], bare));

  // A created container whose process died before start: no start succeeds.
  assert.equal(env.myrunc(["create", "--bundle", bundle, "died"], { detached: true }).status, 0);
  process.kill(state("died").pid, "SIGKILL");
  await waitFor(() => state("died").status === "stopped", { what: "the killed init to be gone" });
  notNode(env.myrunc(["start", "died"], bare));
  assert.match(env.myrunc(["start", "died"]).stderr, /its process ended before it was started/);
  assert.equal(env.myrunc(["delete", "died"], bare).status, 0);
  assert.deepEqual(cgroupDirs(`${env.cgroupParent}/died`), []);
});

test("run passes the exit status through; run -d leaves it running", { skip }, async () => {
  const r = env.myrunc(["run", "--bundle", env.bundle("exit3", ["sh", "-c", "exit 3"]), "exit3"]);
  assert.equal(r.status, 3, r.stderr);
  assert.equal(env.myrunc(["state", "exit3"]).status, 1, "run deletes the container it ran");

  const d = env.myrunc(["run", "-d", "--bundle", env.bundle("bg", ["sleep", "60"]), "bg"], { detached: true });
  assert.equal(d.status, 0, d.stderr);
  assert.equal(state("bg").status, "running");
  assert.equal(env.myrunc(["delete", "--force", "bg"]).status, 0);
  assert.equal(env.myrunc(["state", "bg"]).status, 1);
});

test("the container's process starts with no signal ignored or blocked, and only the spec's environment", { skip }, () => {
  // glibc's posix_spawn, which starts the shim, leaves its signals 32 and 33 ignored; an ignored signal survives exec.
  const status = env.myrunc(["run", "--bundle", env.bundle("signals", ["grep", "-E", "^Sig(Ign|Blk):", "/proc/self/status"]), "signals"]);
  assert.equal(status.status, 0, status.stderr);
  assert.deepEqual(status.stdout.trim().split("\n"), ["SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000"]);
  const environ = env.myrunc(["run", "--bundle", env.bundle("environ", ["env"], (s) => (s.process!.env = ["A=1"])), "environ"]);
  assert.deepEqual(environ.stdout.trim().split("\n"), ["A=1"], "the spec's environment only");
});

test("start and delete: argv the front does not read as node does goes to node", { skip }, () => {
  const bundle = env.bundle("front", ["sleep", "60"]);
  assert.equal(env.myrunc(["create", "--bundle", bundle, "front"], { detached: true }).status, 0);
  const withoutNode = (args: string[]) => spawnSync(MYRUNC, args, { encoding: "utf8", env: { ...process.env, PATH: path.join(env.base, "no-such-dir") } });
  for (const args of [
    ["--root=", "delete", "--force", "front"],
    ["--root", env.root, "--debug", "delete", "--force", "front"],
    ["--root", env.root, "--systemd-cgroup", "start", "front"],
    ["--root", env.root, "delete", "front", "--force"],
    ["--root", env.root, "delete", "--force", "x".repeat(1025)],
    ["--root", env.root, "delete", "--force", "../front"],
    ["delete", "--force", "front"],
  ]) {
    const r = withoutNode(args);
    assert.deepEqual([r.status, r.stderr.trim()], [127, "myrunc: node is not on PATH"], args.join(" "));
  }
  assert.equal(state("front").status, "created", "none of them touched it");
  // A plan with nothing in it is no plan: node's start runs.
  fs.writeFileSync(path.join(env.root, "front", "start.plan"), "");
  const empty = withoutNode(["--root", env.root, "start", "front"]);
  assert.equal(empty.status, 127, "an empty plan is refused, not taken for a start");
  assert.equal(state("front").status, "created");
  assert.equal(env.myrunc(["start", "front"], { detached: true }).status, 0);
  assert.equal(state("front").status, "running");
  assert.equal(env.myrunc(["delete", "--force", "front"]).status, 0);
});

test("NODE_OPTIONS with V8 flags (which the startup snapshot cannot take) runs the bundle instead", { skip }, () => {
  const r = spawnSync(MYRUNC, ["--version"], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "--max-old-space-size=200" } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^myrunc version/);
});

test("a relative --root is the directory under the caller's working directory, as runc's", { skip }, () => {
  const rel = path.relative(env.base, env.root);
  // No pipes: the container would hold them open after run -d is through.
  const at = (args: string[]) => spawnSync(MYRUNC, ["--root", rel, ...args], { cwd: env.base, stdio: "ignore", timeout: 60_000 });
  const bundle = env.bundle("relroot", ["sleep", "60"]);
  const c = at(["run", "-d", "--bundle", bundle, "relroot"]);
  assert.equal(c.status, 0);
  assert.equal(state("relroot").status, "running", "the container is where an absolute --root finds it");
  assert.equal(at(["delete", "--force", "relroot"]).status, 0);
  assert.equal(env.myrunc(["state", "relroot"]).status, 1);
});

test("a create whose program is missing fails with the reason and leaves nothing", { skip }, () => {
  const r = env.myrunc(["create", "--bundle", env.bundle("missing", ["no-such-program"]), "missing"]);
  assert.equal(r.status, 1);
  assert.match(env.errors().at(-1) ?? "", /no-such-program/);
  assert.match(r.stderr, /no-such-program/);
  assert.equal(env.myrunc(["state", "missing"]).status, 1);
  assert.deepEqual(cgroupDirs(`${env.cgroupParent}/missing`), []);
});

test("the caller's file descriptors past stdio do not reach the container", { skip }, async () => {
  const extra = fs.openSync(path.join(env.base, "extra"), "w");
  const child = spawnMyrunc(env, ["run", "--bundle", env.bundle("fds", ["ls", "/proc/self/fd"]), "fds"], ["ignore", "pipe", "pipe", extra, extra]);
  fs.closeSync(extra);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 0);
  // ls's own directory fd is 3; the caller's 3 and 4 would make 4 and 5 appear.
  assert.deepEqual(out.trim().split(/\s+/).sort(), ["0", "1", "2", "3"]);
});

test("--preserve-fds N passes the caller's fds 3..3+N-1 on to the process, and nothing past them", { skip }, async () => {
  const file = (name: string) => path.join(env.base, name);
  // fd 3 and 4 are passed on (N=2), fd 5 is not: the process writes to 3 and 4 and lists its fds.
  const fds = ["kept3", "kept4", "stray5"].map((n) => fs.openSync(file(n), "w"));
  const script = "echo three >&3; echo four >&4; ls /proc/self/fd";
  const child = spawnMyrunc(env, ["run", "--preserve-fds", "2", "--bundle", env.bundle("keep", ["sh", "-c", script]), "keep"], ["ignore", "pipe", "pipe", ...fds]);
  for (const fd of fds) fs.closeSync(fd);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 0, env.errors().join("\n"));
  assert.equal(fs.readFileSync(file("kept3"), "utf8"), "three\n");
  assert.equal(fs.readFileSync(file("kept4"), "utf8"), "four\n");
  // ls's own directory fd is the next free one, 5: the caller's 5 would make a 6 appear.
  assert.deepEqual(out.trim().split(/\s+/).sort(), ["0", "1", "2", "3", "4", "5"]);

  // exec -d of a running container hands the fd on too; a count that is not one is refused.
  assert.equal(env.myrunc(["run", "-d", "--bundle", env.bundle("keepx", ["sleep", "60"]), "keepx"], { detached: true }).status, 0);
  const pipe = fs.openSync(file("exec3"), "w");
  const ex = spawnMyrunc(env, ["exec", "-d", "--preserve-fds", "1", "keepx", "sh", "-c", "echo from exec >&3"], ["ignore", "ignore", "pipe", pipe]);
  fs.closeSync(pipe);
  assert.equal(await new Promise<number | null>((resolve) => ex.on("close", resolve)), 0);
  await waitFor(() => fs.readFileSync(file("exec3"), "utf8") === "from exec\n", { what: "the exec'd process to write to its fd 3" });
  const bad = env.myrunc(["exec", "--preserve-fds", "-1", "keepx", "true"]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /invalid --preserve-fds "-1"/);
  assert.equal(env.myrunc(["delete", "--force", "keepx"]).status, 0);
});

test("exec: a foreground exec's status, and exec -d with a pid file", { skip }, async () => {
  assert.equal(env.myrunc(["run", "-d", "--bundle", env.bundle("ex", ["sleep", "60"]), "ex"], { detached: true }).status, 0);
  const r = env.myrunc(["exec", "ex", "sh", "-c", "echo hi; exit 5"]);
  assert.equal(r.status, 5);
  assert.equal(r.stdout, "hi\n");
  const pidFile = path.join(env.base, "exec.pid");
  const d = env.myrunc(["exec", "-d", "--pid-file", pidFile, "ex", "sleep", "30"], { detached: true });
  assert.equal(d.status, 0, d.stderr);
  const pid = Number(fs.readFileSync(pidFile, "utf8"));
  assert.equal(commOf(pid), "sleep");
  // The monitor ends once myrunc has (at the EOF of its control socket): a moment after.
  await waitFor(() => commOf(parentOf(pid)) !== "mydocker-shim", { what: "the exec'd process to be left to the caller's reaper" });
  const ps = JSON.parse(env.myrunc(["ps", "--format", "json", "ex"]).stdout) as number[];
  assert.ok(ps.includes(pid));
  assert.equal(env.myrunc(["delete", "--force", "ex"]).status, 0);
});

test("pause, resume and update act on the container's cgroup", { skip }, async () => {
  assert.equal(env.myrunc(["run", "-d", "--bundle", env.bundle("pz", ["sleep", "60"]), "pz"], { detached: true }).status, 0);
  assert.equal(env.myrunc(["pause", "pz"]).status, 0);
  assert.equal(state("pz").status, "paused");
  assert.equal(env.myrunc(["resume", "pz"]).status, 0);
  assert.equal(state("pz").status, "running");
  const u = env.myrunc(["update", "--pids-limit", "42", "pz"]);
  assert.equal(u.status, 0, u.stderr);
  const pidsDir = cgroupDirs(`${env.cgroupParent}/pz`).find((d) => fs.existsSync(path.join(d, "pids.max")));
  if (pidsDir) assert.equal(fs.readFileSync(path.join(pidsDir, "pids.max"), "utf8").trim(), "42");
  const events = env.myrunc(["events", "--stats", "pz"]);
  assert.equal(JSON.parse(events.stdout).type, "stats");
  assert.equal(env.myrunc(["delete", "--force", "pz"]).status, 0);
});

test("features, spec and the refusals say what they do not support", { skip }, () => {
  const f = JSON.parse(env.myrunc(["features"]).stdout);
  assert.ok(f.linux.namespaces.includes("pid"));
  assert.ok(f.mountOptions.includes("nosuid"));
  const dir = path.join(env.base, "specdir");
  fs.mkdirSync(dir);
  assert.equal(env.myrunc(["spec", "--bundle", dir]).status, 0);
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")).ociVersion, "1.0.2");
  assert.match(env.myrunc(["spec", "--bundle", dir]).stderr, /exists/);
  const rootless = env.myrunc(["spec", "--rootless", "--bundle", env.base]);
  assert.equal(rootless.status, 1);
  assert.match(rootless.stderr, /^--rootless: myrunc does not run without root/);
  assert.equal(fs.existsSync(path.join(env.base, "config.json")), false);
  const sd = env.myrunc(["--systemd-cgroup", "state", "x"]);
  assert.equal(sd.status, 1);
  assert.match(sd.stderr, /--systemd-cgroup is not supported/);
});

test("hooks: prestart, createRuntime, poststart and poststop run at their points with the state on stdin", { skip }, async () => {
  const out = (name: string) => path.join(env.base, `hook-${name}.json`);
  const save = (name: string) => ({ path: "/bin/sh", args: ["sh", "-c", `cat > ${out(name)}`] });
  const bundle = env.bundle("hk", ["sleep", "60"], (s) => {
    s.annotations = { a: "b" };
    s.hooks = { prestart: [save("prestart")], createRuntime: [save("createRuntime")], poststart: [save("poststart")], poststop: [save("poststop")] };
  });
  assert.equal(env.myrunc(["create", "--bundle", bundle, "hk"], { detached: true }).status, 0);
  const read = (name: string) => JSON.parse(fs.readFileSync(out(name), "utf8")) as { id: string; status: string; pid?: number; bundle: string; annotations: Record<string, string> };
  const created = read("createRuntime");
  assert.deepEqual({ id: created.id, status: created.status, bundle: created.bundle, annotations: created.annotations }, { id: "hk", status: "creating", bundle, annotations: { a: "b" } });
  assert.equal(created.pid, state("hk").pid);
  assert.equal(read("prestart").status, "creating");
  assert.equal(fs.existsSync(out("poststart")), false, "poststart waits for start");
  assert.equal(env.myrunc(["start", "hk"], { detached: true }).status, 0);
  assert.equal(read("poststart").status, "running");
  assert.equal(env.myrunc(["delete", "--force", "hk"]).status, 0);
  assert.equal(read("poststop").status, "stopped");
});

test("hooks: a failing or late prestart fails create with its reason; a failing startContainer fails start and stops the container", { skip }, async () => {
  const failing = env.bundle("hkfail", ["sleep", "60"], (s) => (s.hooks = { prestart: [{ path: "/bin/sh", args: ["sh", "-c", "echo no network >&2; exit 3"] }] }));
  const r = env.myrunc(["create", "--bundle", failing, "hkfail"], { detached: true });
  assert.equal(r.status, 1);
  assert.equal(env.errors().at(-1), "hooks.prestart[0] (/bin/sh): exit status 3: no network");
  assert.equal(env.myrunc(["state", "hkfail"]).status, 1);
  assert.deepEqual(cgroupDirs(`${env.cgroupParent}/hkfail`), []);

  const late = env.bundle("hklate", ["sleep", "60"], (s) => (s.hooks = { createRuntime: [{ path: "/bin/sleep", args: ["sleep", "30"], timeout: 1 }] }));
  assert.equal(env.myrunc(["create", "--bundle", late, "hklate"], { detached: true }).status, 1);
  assert.equal(env.errors().at(-1), "hooks.createRuntime[0] (/bin/sleep): timed out after 1 s");
  assert.equal(env.myrunc(["state", "hklate"]).status, 1);

  const inside = env.bundle("hkin", ["true"], (s) => (s.hooks = { startContainer: [{ path: "/bin/sh", args: ["sh", "-c", "echo not today >&2; exit 4"] }] }));
  assert.equal(env.myrunc(["create", "--bundle", inside, "hkin"], { detached: true }).status, 0);
  const st = env.myrunc(["start", "hkin"], { detached: true });
  assert.equal(st.status, 1);
  assert.equal(env.errors().at(-1), "hooks.startContainer[0] (/bin/sh): exit status 4: not today");
  await waitFor(() => state("hkin").status === "stopped", { what: "the container whose startContainer hook failed to stop" });
  assert.equal(env.myrunc(["delete", "hkin"]).status, 0);
});

test("hooks: createContainer runs in the container's namespaces after its mounts, before pivot_root; startContainer in its root before its process", { skip }, async () => {
  const out = path.join(env.base, "hook-createContainer.txt");
  const rootfs = path.join(env.base, "rootfs");
  // Before pivot_root the host's files are there (this host path), and so is the container's /proc mount, at the rootfs.
  const createContainer = { path: "/bin/sh", args: ["sh", "-c", `{ readlink /proc/self/ns/mnt; readlink /proc/self/ns/uts; grep -c ' ${rootfs}/proc ' /proc/self/mountinfo; cat; } > ${out}`] };
  // In the container's root, before its process runs, confined as the process is (runc runs it
  // in the init, after its capabilities are dropped): the process finds what the hook wrote.
  const startContainer = { path: "/bin/sh", args: ["sh", "-c", "grep CapBnd /proc/self/status > /tmp/started-by-hook"], env: ["PATH=/bin"] };
  for (const [mode, id] of [["create", "hkc"], ["run", "hkr"]] as const) {
    fs.rmSync(out, { force: true });
    const bundle = env.bundle(id, ["sh", "-c", "mv /tmp/started-by-hook /tmp/seen; sleep 60"], (s) => {
      s.hooks = { createContainer: [createContainer], startContainer: [startContainer] };
    });
    if (mode === "create") {
      assert.equal(env.myrunc(["create", "--bundle", bundle, id], { detached: true }).status, 0, env.errors().join("\n"));
      assert.equal(env.myrunc(["start", id], { detached: true }).status, 0, env.errors().join("\n"));
    } else {
      assert.equal(env.myrunc(["run", "-d", "--bundle", bundle, id], { detached: true }).status, 0, env.errors().join("\n"));
    }
    const pid = state(id).pid;
    const [mnt, uts, procMounts, stdin = ""] = fs.readFileSync(out, "utf8").split("\n");
    assert.equal(mnt, fs.readlinkSync(`/proc/${pid}/ns/mnt`), "the container's mount namespace");
    assert.notEqual(mnt, fs.readlinkSync("/proc/self/ns/mnt"));
    assert.equal(uts, fs.readlinkSync(`/proc/${pid}/ns/uts`), "the container's uts namespace");
    assert.equal(procMounts, "1", "after the container's mounts, before the root switch");
    assert.equal((JSON.parse(stdin) as { id: string; pid: number }).pid, pid, "the state on stdin");
    await waitFor(() => fs.existsSync(`/proc/${pid}/root/tmp/seen`), { what: "the process to find the hook's file" });
    const bounding = fs.readFileSync(`/proc/${pid}/status`, "utf8").match(/^CapBnd:.*$/m)?.[0];
    assert.equal(fs.readFileSync(`/proc/${pid}/root/tmp/seen`, "utf8").trim(), bounding, "the hook had the process's capabilities, no more");
    assert.notEqual(bounding, "CapBnd:\t000001ffffffffff");
    assert.equal(env.myrunc(["delete", "--force", id]).status, 0);
  }
});

test("bin/myrunc starts node from the startup snapshot the build made; a copy of the tree runs its own bundle", () => {
  // sh -x shows the command bin/myrunc execs.
  const r = spawnSync("sh", ["-x", MYRUNC, "--version"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^myrunc version /);
  assert.match(r.stderr, /node --snapshot-blob \S+\/dist\/src\/oci-cli\/main\.blob -- \S+\/snapshot\.cjs --version/, "built by npm run build, newer than the code");

  // The snapshot holds the paths of the tree it was made in (the shim's): a copy made since
  // does not use them, but runs its own bundle, which writes its compile cache there.
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "myrunc-copy-"));
  try {
    // The snapshot's node stamp dated to the nanosecond (cp -p), so the front would take the snapshot.
    const stamp = (f: string) => f.endsWith("main.blob.node");
    for (const d of ["bin", "dist/src/oci-cli"]) fs.cpSync(path.join(REPO, d), path.join(copy, d), { recursive: true, preserveTimestamps: true, filter: (f) => !stamp(f) });
    assert.equal(spawnSync("cp", ["-p", path.join(REPO, "dist/src/oci-cli/main.blob.node"), path.join(copy, "dist/src/oci-cli/main.blob.node")]).status, 0);
    for (const d of ["node_modules", "native"]) fs.symlinkSync(path.join(REPO, d), path.join(copy, d));
    const cache = path.join(copy, "dist/src/oci-cli/main.cjs.cache");
    fs.rmSync(cache, { recursive: true, force: true });
    const c = spawnSync(path.join(copy, "bin/myrunc"), ["--version"], { encoding: "utf8" });
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stdout, /^myrunc version /);
    assert.ok(fs.existsSync(path.join(cache, "none")), "the copy ran its own bundle");
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});
