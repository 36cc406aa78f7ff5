// The C shim on the real kernel, driven directly with plans (docs/plan.md).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { framePlan, type ChildStep, type MonitorStep, type Plan } from "../../src/runtime/plan.js";
import * as L from "../../src/runtime/linux.js";
import { maskStep } from "../../src/runtime/compile-rootfs.js";
import { makeBusyboxRootfs } from "../helpers/busybox-rootfs.js";
import { mountsUnder } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const SHIM = path.join(REPO, "native/mydocker-shim");
const skip = process.getuid?.() === 0 ? false : "needs root: the shim makes namespaces and mounts";

const NAMESPACES = L.CLONE_NEWNS | L.CLONE_NEWUTS | L.CLONE_NEWIPC | L.CLONE_NEWPID | L.CLONE_NEWNET;
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const CAP_CHOWN = 0n;
const CAP_NET_BIND_SERVICE = 10n;
const LAST_CAP = Number(fs.readFileSync("/proc/sys/kernel/cap_last_cap", "utf8"));

let base: string;
let rootfs: string;

before(() => {
  if (skip) return;
  assert.ok(fs.existsSync(SHIM), `${SHIM} is missing: build it with make -C native`);
  base = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-shim-test-"));
  rootfs = path.join(base, "rootfs");
  makeBusyboxRootfs(rootfs);
});

after(() => {
  if (skip) return;
  // Other suites may mount things meanwhile on this shared machine: look only under ours.
  assert.deepEqual(mountsUnder(base), [], "no mount of the shim's is left on the host");
  fs.rmSync(base, { recursive: true, force: true });
});

function mount(source: string, dest: string, fstype: string, flags: number, data = "", mkdir: "dir" | "file" | "none" = "dir"): ChildStep {
  return { op: "mount", source, root: rootfs, path: dest, fstype, flags, data, mkdir };
}

/** What a container needs before its process: private mounts, the rootfs, /proc, /dev, pivot_root. */
function filesystem(): ChildStep[] {
  const dev = (p: string, minor: number): ChildStep => ({ op: "mknod", root: rootfs, path: p, mode: L.S_IFCHR | 0o666, major: 1, minor, uid: 0, gid: 0 });
  return [
    { op: "mount", source: "", root: "", path: "/", fstype: "", flags: L.MS_REC | L.MS_PRIVATE, data: "", mkdir: "none" },
    { op: "mount", source: rootfs, root: "", path: rootfs, fstype: "", flags: L.MS_BIND | L.MS_REC, data: "", mkdir: "none" },
    mount("proc", "/proc", "proc", L.MS_NOSUID | L.MS_NOEXEC | L.MS_NODEV),
    mount("tmpfs", "/dev", "tmpfs", L.MS_NOSUID | L.MS_STRICTATIME, "mode=755,size=65536k"),
    mount("devpts", "/dev/pts", "devpts", L.MS_NOSUID | L.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"),
    mount("shm", "/dev/shm", "tmpfs", L.MS_NOSUID | L.MS_NOEXEC | L.MS_NODEV, "mode=1777,size=65536k"),
    mount("mqueue", "/dev/mqueue", "mqueue", L.MS_NOSUID | L.MS_NOEXEC | L.MS_NODEV),
    mount("sysfs", "/sys", "sysfs", L.MS_NOSUID | L.MS_NOEXEC | L.MS_NODEV | L.MS_RDONLY),
    dev("/dev/null", 3),
    dev("/dev/zero", 5),
    dev("/dev/urandom", 9),
    { op: "symlink", target: "pts/ptmx", root: rootfs, path: "/dev/ptmx" },
    { op: "symlink", target: "/proc/self/fd", root: rootfs, path: "/dev/fd" },
    { op: "pivot_root", root: rootfs },
  ];
}

interface ContainerOptions {
  monitor?: MonitorStep[];
  /** Steps between the filesystem and the process (hostname, mask, user...). */
  steps?: ChildStep[];
  env?: string[];
  cwd?: string;
}

function container(argv: string[], o: ContainerOptions = {}): Plan {
  return [
    { op: "clone", flags: NAMESPACES },
    ...(o.monitor ?? []),
    ...filesystem(),
    { op: "hostname", name: "shimtest" },
    { op: "setsid" },
    ...(o.steps ?? []),
    { op: "chdir", dir: o.cwd ?? "/" },
    ...[`PATH=${PATH}`, ...(o.env ?? [])].map((entry): ChildStep => ({ op: "env", entry })),
    { op: "exec", searchPath: PATH, argv },
  ];
}

interface ShimResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  control: string[];
}

interface RunOptions {
  /** Called for each control line; its return value, if any, is written back. */
  onLine?: (line: string, pid: number) => Promise<string | void> | string | void;
  stdin?: string;
  args?: string[];
}

/**
 * The shim on a plan. done rejects with the first error of an onLine callback (a failed
 * assertion in it), once the shim has ended, so that the test fails with it.
 */
function runShim(plan: Plan, o: RunOptions = {}): { pid: number; done: Promise<ShimResult>; out: () => string } {
  const child = spawn(SHIM, o.args ?? [], { stdio: [o.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe", "pipe"] });
  const control = child.stdio[3] as Duplex;
  const result: ShimResult = { code: null, signal: null, stdout: "", stderr: "", control: [] };
  child.stdout?.on("data", (d: Buffer) => (result.stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (result.stderr += d.toString()));
  if (o.stdin !== undefined) child.stdin?.end(o.stdin);
  let pending = "";
  let callbackError: unknown;
  let replies = Promise.resolve();
  control.on("data", (d: Buffer) => {
    pending += d.toString();
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      result.control.push(line);
      const pid = line.startsWith("pid ") ? Number(line.slice(4)) : 0;
      replies = replies.then(async () => {
        if (callbackError !== undefined) return;
        try {
          const reply = await o.onLine?.(line, pid);
          if (reply) control.write(reply);
        } catch (e) {
          callbackError = e;
          // The shim may be waiting for a reply that will not come.
          child.kill("SIGKILL");
        }
      });
    }
  });
  control.on("error", () => {});
  if (!o.args) control.write(framePlan(plan));
  const done = new Promise<ShimResult>((resolve, reject) => {
    child.on("close", (code, signal) => {
      void replies.then(() => (callbackError === undefined ? resolve({ ...result, code, signal }) : reject(callbackError)));
    });
  });
  if (child.pid === undefined) throw new Error("the shim did not start");
  return { pid: child.pid, done, out: () => result.stdout };
}

function run(plan: Plan, o: RunOptions = {}): Promise<ShimResult> {
  return runShim(plan, o).done;
}

function sh(script: string, o: ContainerOptions = {}): Plan {
  return container(["sh", "-c", script], o);
}

test("a container: PID 1, its own hostname and namespaces, its mounts, the old root gone", { skip }, async () => {
  const r = await run(sh("echo $$; hostname; readlink /proc/self/ns/net; readlink /proc/self/ns/mnt; cat /proc/self/mountinfo; ls /"));
  assert.equal(r.code, 0, r.stderr);
  const [pid, hostname, netns, mntns, ...rest] = r.stdout.trimEnd().split("\n");
  assert.equal(pid, "1");
  assert.equal(hostname, "shimtest");
  assert.notEqual(netns, fs.readlinkSync("/proc/self/ns/net"));
  assert.notEqual(mntns, fs.readlinkSync("/proc/self/ns/mnt"));
  const mounts = rest.filter((l) => / - /.test(l)).map((l) => {
    const [left, right] = l.split(" - ");
    return { point: left.split(" ")[4], type: right.split(" ")[0] };
  });
  const at = (p: string) => mounts.find((m) => m.point === p)?.type;
  assert.equal(at("/proc"), "proc");
  assert.equal(at("/dev"), "tmpfs");
  assert.equal(at("/dev/pts"), "devpts");
  assert.equal(at("/dev/shm"), "tmpfs");
  assert.equal(at("/dev/mqueue"), "mqueue");
  assert.equal(at("/sys"), "sysfs");
  assert.ok(!mounts.some((m) => m.point.startsWith(base)), "nothing of the host's tree is left under the new root");
  assert.ok(rest.includes("bin") && rest.includes("etc"), r.stdout);
  assert.deepEqual(r.control.slice(1), ["ready", "exec", "exit 0 0"]);
  assert.match(r.control[0], /^pid \d+$/);
  assert.notEqual(os.hostname(), "shimtest");
});

test("device nodes and /dev symlinks are made in the container's /dev", { skip }, async () => {
  const r = await run(sh("stat -c '%F %t:%T %a' /dev/null /dev/zero; readlink /dev/ptmx; echo hi > /dev/null && echo ok"));
  assert.equal(r.stdout, "character special file 1:3 666\ncharacter special file 1:5 666\npts/ptmx\nok\n", r.stderr);
});

test("exit statuses: 0, 7, and 128+N when killed by signal N", { skip }, async () => {
  assert.equal((await run(sh("exit 0"))).code, 0);
  const seven = await run(sh("exit 7"));
  assert.equal(seven.code, 7);
  assert.equal(seven.control.at(-1), "exit 7 0");
  const killed = await run(sh("sleep 100"), {
    onLine: (_line, pid) => {
      if (pid) process.kill(pid, "SIGKILL");
    },
  });
  assert.equal(killed.code, 137);
  assert.equal(killed.control.at(-1), "exit 137 9");
});

test("exec errors name the step: ENOENT and EACCES", { skip }, async () => {
  const missing = container(["no-such-command"]);
  const r = await run(missing);
  assert.equal(r.code, 125);
  const step = missing.length - 1;
  assert.equal(r.control.at(-1), `error ${step} exec 2 no-such-command: not found in ${PATH}`);
  assert.equal(r.stderr, "", "with a caller on the control socket the caller reports, not the container's stderr");
  assert.ok(!r.control.includes("exec"));

  fs.writeFileSync(path.join(rootfs, "not-executable"), "#!/bin/sh\n", { mode: 0o644 });
  const denied = await run(container(["/not-executable"]));
  assert.equal(denied.code, 125);
  assert.match(denied.control.at(-1) ?? "", /^error \d+ exec 13 \/not-executable$/);
  const viaPath = await run(container(["not-executable"], { env: [] }).map((s) => (s.op === "exec" ? { ...s, searchPath: "/nowhere:/" } : s)));
  assert.match(viaPath.control.at(-1) ?? "", /^error \d+ exec 13 \/\/not-executable$/, "the first error other than ENOENT wins");
});

test("a failing setup step reports its index and errno", { skip }, async () => {
  const plan = sh("true", { steps: [{ op: "chdir", dir: "/no/such/dir" }] });
  const r = await run(plan);
  const step = plan.findIndex((s) => s.op === "chdir");
  assert.equal(r.code, 125);
  assert.equal(r.control.at(-1), `error ${step} chdir 2 /no/such/dir`);
  assert.equal(r.stderr, "");
});

test("environment entries travel untouched, and the working directory is set", { skip }, async () => {
  const r = await run(sh('echo "[$GREETING]"; echo "[$EMPTY]"; pwd', { env: ["GREETING=hello  big world", "EMPTY="], cwd: "/tmp" }));
  assert.equal(r.stdout, "[hello  big world]\n[]\n/tmp\n", r.stderr);
});

test("user switch with groups, and capabilities as the kernel reports them", { skip }, async () => {
  const keep = (1n << CAP_CHOWN) | (1n << CAP_NET_BIND_SERVICE);
  const user = await run(
    sh("id; grep -E '^Cap(Eff|Prm|Bnd|Amb)' /proc/self/status", {
      steps: [
        { op: "bounding", mask: keep, lastCap: LAST_CAP },
        { op: "user", uid: 1000, gid: 1000, additionalGids: [65534] },
        { op: "caps", effective: keep, permitted: keep, inheritable: keep, ambient: keep },
        { op: "nonewprivs" },
      ],
    }),
  );
  assert.equal(user.code, 0, user.stderr);
  const caps = keep.toString(16).padStart(16, "0");
  assert.equal(
    user.stdout,
    `uid=1000(app) gid=1000(app) groups=65534(nobody)\nCapPrm:\t${caps}\nCapEff:\t${caps}\nCapBnd:\t${caps}\nCapAmb:\t${caps}\n`,
  );

  const rootKeep = 0xa80425fbn;
  const root = await run(
    sh("grep -E '^Cap(Eff|Bnd)' /proc/self/status", {
      steps: [
        { op: "bounding", mask: rootKeep, lastCap: LAST_CAP },
        { op: "user", uid: 0, gid: 0, additionalGids: [] },
        { op: "caps", effective: rootKeep, permitted: rootKeep, inheritable: 0n, ambient: 0n },
      ],
    }),
  );
  const rc = rootKeep.toString(16).padStart(16, "0");
  assert.equal(root.stdout, `CapEff:\t${rc}\nCapBnd:\t${rc}\n`, root.stderr);
});

test("masked and read-only paths, and a read-only bind mount", { skip }, async () => {
  const volume = path.join(base, "volume");
  fs.mkdirSync(volume, { recursive: true });
  fs.writeFileSync(path.join(volume, "data"), "from the host\n");
  const plan = sh("cat /proc/kcore | wc -c; ls /sys/firmware | wc -l; echo x > /proc/sys/kernel/domainname; cat /data/data; touch /data/new; echo done", {
    steps: [
      { op: "readonly", path: "/proc/sys" },
      maskStep("/proc/kcore"),
      maskStep("/sys/firmware"),
      maskStep("/no/such/path"),
    ],
  });
  const pivot = plan.findIndex((s) => s.op === "pivot_root");
  plan.splice(
    pivot,
    0,
    mount(volume, "/data", "", L.MS_BIND),
    mount("", "/data", "", L.MS_BIND | L.MS_REMOUNT | L.MS_RDONLY, "", "none"),
  );
  const r = await run(plan);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "0\n0\nfrom the host\ndone\n");
  assert.match(r.stderr, /domainname: Read-only file system/);
  assert.match(r.stderr, /touch: \/data\/new: Read-only file system/);
  assert.ok(!fs.existsSync(path.join(volume, "new")));
  assert.ok(fs.statSync(path.join(rootfs, "data")).isDirectory(), "the mount point was made inside the rootfs");
});

test("a symlink in the rootfs cannot send a mount outside it", { skip }, async () => {
  // On the host /tmp is the host's; resolved inside the rootfs it is the rootfs's /tmp.
  const name = `${path.basename(base)}-escape`;
  fs.symlinkSync("/tmp", path.join(rootfs, "escape"));
  try {
    const plan = sh(`grep -c " /tmp/${name} " /proc/self/mountinfo`);
    plan.splice(plan.findIndex((s) => s.op === "pivot_root"), 0, mount("tmpfs", `/escape/${name}`, "tmpfs", 0));
    const r = await run(plan);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "1\n");
    assert.equal(fs.existsSync(path.join("/tmp", name)), false, "nothing was made outside the rootfs");
    assert.ok(fs.statSync(path.join(rootfs, "tmp", name)).isDirectory());
  } finally {
    fs.rmSync(path.join(rootfs, "escape"));
    fs.rmSync(path.join(rootfs, "tmp", name), { recursive: true, force: true });
  }
});

test("sync: the child waits for go; pid, ready, exec, exit arrive in order", { skip }, async () => {
  let sawWaiting = false;
  const pidFile = path.join(base, "pidfile");
  const r = await run(sh("hostname", { monitor: [{ op: "sync" }, { op: "pidfile", path: pidFile }] }), {
    onLine: async (_line, pid) => {
      if (!pid) return;
      // Time for a child that does not wait to run its records; it must not have.
      await sleep(100);
      // Not released yet: still the shim's image, its records (hostname) not run.
      const comm = fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      const uts = spawnSync("nsenter", ["-t", String(pid), "-u", "hostname"], { encoding: "utf8" }).stdout.trim();
      sawWaiting = comm === "mydocker-shim" && uts === os.hostname();
      assert.equal(fs.readFileSync(pidFile, "utf8"), String(pid));
      return "go\n";
    },
  });
  assert.ok(sawWaiting, "the child had not run its records before go");
  assert.equal(r.stdout, "shimtest\n");
  assert.deepEqual(r.control.slice(1), ["ready", "exec", "exit 0 0"]);
  assert.ok(!fs.existsSync(`${pidFile}.tmp`));
});

test("log: CRI lines for stdout and stderr, partial last line, rotation", { skip }, async () => {
  const log = path.join(base, "ctr.log");
  const r = await run(sh("echo out; echo err >&2; printf partial", { monitor: [{ op: "log", path: log, maxBytes: 0, lineMax: 16384 }] }));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "out\npartial", "the monitor also copies the output to its own stdout");
  const lines = fs.readFileSync(log, "utf8").trimEnd().split("\n");
  const cri = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) ([PF]) (.*)$/;
  const parsed = lines.map((l) => {
    const m = cri.exec(l);
    assert.ok(m, `a CRI line: ${l}`);
    return `${m[1]} ${m[2]} ${m[3]}`;
  });
  assert.deepEqual(parsed.sort(), ["stderr F err", "stdout F out", "stdout P partial"]);

  const rotating = path.join(base, "rot.log");
  const big = await run(sh("for i in 1 2 3 4 5 6 7 8 9 10; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxx; done", { monitor: [{ op: "log", path: rotating, maxBytes: 300, lineMax: 16384 }] }));
  assert.equal(big.code, 0);
  assert.ok(fs.statSync(rotating).size <= 300);
  assert.ok(fs.existsSync(`${rotating}.1`));
  assert.match(fs.readFileSync(rotating, "utf8"), /line-10-/);
});

test("tty: the process gets a pty as stdio and controlling terminal", { skip }, async () => {
  const plan = sh("tty; readlink /proc/self/fd/1; echo done", { monitor: [{ op: "tty" }], steps: [{ op: "console", consolePath: "/dev/console" }] });
  const r = await run(plan, { stdin: "" });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "/dev/pts/0\r\n/dev/pts/0\r\ndone\r\n");
});

test("tty with log: the pty output goes to the log as stdout", { skip }, async () => {
  const log = path.join(base, "tty.log");
  const plan = sh("echo on-the-pty", { monitor: [{ op: "tty" }, { op: "log", path: log, maxBytes: 0, lineMax: 16384 }], steps: [{ op: "console", consolePath: "/dev/console" }] });
  const r = await run(plan, { stdin: "" });
  assert.equal(r.code, 0, r.stderr);
  assert.match(fs.readFileSync(log, "utf8"), /^\S+Z stdout F on-the-pty\r\n$/);
});

test("execfifo: ready while blocked on the FIFO, exec once it is opened for reading", { skip }, async () => {
  const fifo = path.join(base, "exec.fifo");
  assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
  const seen: string[] = [];
  const plan = sh("echo started");
  plan.splice(1, 0, { op: "execfifo", path: fifo });
  const r = await run(plan, {
    onLine: async (line) => {
      seen.push(line);
      if (line !== "ready") return;
      // Time for a child that does not block on the FIFO to exec; it must not have.
      await sleep(200);
      assert.ok(!seen.includes("exec"), "nothing runs before start");
      assert.equal(fs.readFileSync(fifo, "utf8"), "0");
    },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "started\n");
  assert.deepEqual(r.control.slice(1), ["ready", "exec", "exit 0 0"]);
});

test("the container gets fds 0, 1 and 2 only, whatever the caller left open", { skip }, async () => {
  const child = spawn(SHIM, [], { stdio: ["ignore", "pipe", "pipe", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  // Builtins only: the shell opens nothing while it looks.
  (child.stdio[3] as Duplex).end(framePlan(sh('for f in 0 1 2 3 4 5 6 7 8 9; do [ -e /proc/$$/fd/$f ] && echo -n "$f "; done; true')));
  const code = await new Promise((resolve) => child.on("close", resolve));
  assert.equal(code, 0);
  assert.equal(out, "0 1 2 ");
});

test("exitfile and exitcmd after the container exits", { skip }, async () => {
  const exitFile = path.join(base, "exit");
  const marker = path.join(base, "exitcmd-ran");
  const started = Date.now();
  const r = await run(sh("exit 3", { monitor: [{ op: "exitfile", path: exitFile }, { op: "exitcmd", argv: ["/bin/sh", "-c", `echo ran > ${marker}`] }] }));
  assert.equal(r.code, 0, "the exit command replaced the shim");
  const [code, signal, nanos] = fs.readFileSync(exitFile, "utf8").split(" ");
  assert.equal(code, "3");
  assert.equal(signal, "0");
  const ms = Number(BigInt(nanos.trim()) / 1000000n);
  assert.ok(ms >= started - 1000 && ms <= Date.now() + 1000, `a finish time now: ${nanos}`);
  assert.equal(fs.readFileSync(marker, "utf8"), "ran\n");
  assert.equal(r.control.at(-1), "exit 3 0");
  assert.ok(!fs.existsSync(`${exitFile}.tmp`), "the temporary made ahead was renamed");
});

test("the exit file's temporary is made while the container runs, and becomes the exit file", { skip }, async () => {
  const exitFile = path.join(base, "exit-ahead");
  const marker = path.join(base, "exit-ahead-seen");
  // The container cannot see the exit file; the test looks, then tells it to end.
  const shim = runShim(sh(`while [ ! -e /tmp/go ]; do sleep 0.05; done`, { monitor: [{ op: "exitfile", path: exitFile }] }), {
    onLine: (line) => {
      if (line !== "exec") return;
      void (async () => {
        const made = await waitFor(() => fs.existsSync(`${exitFile}.tmp`), { what: "the exit file's temporary" }).then(() => true, () => false);
        fs.writeFileSync(marker, `${made} ${fs.existsSync(exitFile)}`);
        fs.writeFileSync(path.join(rootfs, "tmp", "go"), "");
      })();
    },
  });
  const r = await shim.done;
  fs.rmSync(path.join(rootfs, "tmp", "go"), { force: true });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(fs.readFileSync(marker, "utf8"), "true false", "the temporary existed while it ran, the exit file did not");
  assert.match(fs.readFileSync(exitFile, "utf8"), /^0 0 \d+\n$/);
  assert.ok(!fs.existsSync(`${exitFile}.tmp`));
});

test("sigforward: a signal to the shim reaches the container", { skip }, async () => {
  const plan = sh('trap "exit 42" TERM; echo ready; while :; do sleep 0.1; done', { monitor: [{ op: "sigforward", signals: [15] }] });
  const shim = runShim(plan);
  await waitFor(() => shim.out().includes("ready"), { what: "the trap to be set" });
  process.kill(shim.pid, "SIGTERM");
  const r = await shim.done;
  assert.equal(r.code, 42, r.stderr);
});

test("kill -9 of the shim takes the container with it", { skip }, async () => {
  let containerPid = 0;
  const shim = runShim(sh("sleep 1000"), {
    onLine: (line, pid) => {
      if (pid) containerPid = pid;
      if (line === "exec") process.kill(shim.pid, "SIGKILL");
    },
  });
  const r = await shim.done;
  assert.equal(r.signal, "SIGKILL");
  assert.ok(containerPid > 0);
  await waitFor(() => !alive(containerPid), { what: "the container's init to be gone" });
});

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

test("--plan FILE runs a plan without a control socket", { skip }, async () => {
  const file = path.join(base, "plan.bin");
  const { encodePlan } = await import("../../src/runtime/plan.js");
  fs.writeFileSync(file, encodePlan(sh("echo from a file")));
  const r = spawnSync(SHIM, ["--plan", file], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "from a file\n");
  // Without a caller to tell, the shim itself says what failed.
  fs.writeFileSync(file, encodePlan(sh("true", { steps: [{ op: "chdir", dir: "/no/such/dir" }] })));
  const failed = spawnSync(SHIM, ["--plan", file], { encoding: "utf8" });
  assert.equal(failed.status, 125);
  assert.match(failed.stderr, /^mydocker-shim: \d+ chdir: No such file or directory \(errno 2\): \/no\/such\/dir\n$/);
});

test("a malformed plan is refused before anything runs", { skip }, async () => {
  const file = path.join(base, "bad-plan.bin");
  fs.writeFileSync(file, "clone\x001\x00");
  const truncated = spawnSync(SHIM, ["--plan", file], { encoding: "utf8" });
  assert.equal(truncated.status, 125);
  assert.equal(truncated.stderr, "mydocker-shim: 0 clone: Invalid argument (errno 22): truncated record\n");
  const noExec = await run([{ op: "clone", flags: 0 }]);
  assert.equal(noExec.code, 125);
  assert.equal(noExec.control.at(-1), "error 1 exec 22 the plan has no exec record");
});
