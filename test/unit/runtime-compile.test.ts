import { test } from "node:test";
import assert from "node:assert/strict";
import { compile, compileExec } from "../../src/runtime/compile.js";
import { maskStep } from "../../src/runtime/compile-rootfs.js";
import { defaultSpec } from "../../src/runtime/defaults.js";
import type { Plan } from "../../src/runtime/plan.js";
import type { Spec } from "../../src/spec/runtime.js";

const ROOT = "/b/rootfs";
const CAPS = 0xa80425fbn;
// CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS
const DOCKER_CLONE = 0x20000000 + 0x40000000 + 0x8000000 + 0x4000000 + 0x20000;
const MS = { RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, REMOUNT: 32, BIND: 4096, REC: 16384, PRIVATE: 1 << 18, SLAVE: 1 << 19, STRICTATIME: 1 << 24, RELATIME: 1 << 21 };

function mount(source: string, root: string, path: string, fstype: string, flags: number, data: string, mkdir: "dir" | "file" | "none") {
  return { op: "mount" as const, source, root, path, fstype, flags, data, mkdir };
}

const DEV_STEPS: Plan = [
  ...(
    [
      ["/dev/null", 1, 3],
      ["/dev/zero", 1, 5],
      ["/dev/full", 1, 7],
      ["/dev/random", 1, 8],
      ["/dev/urandom", 1, 9],
      ["/dev/tty", 5, 0],
    ] as const
  ).map(([path, major, minor]) => ({ op: "mknod" as const, root: ROOT, path, mode: 0o020666, major, minor, uid: 0, gid: 0 })),
  { op: "symlink", target: "/proc/self/fd", root: ROOT, path: "/dev/fd" },
  { op: "symlink", target: "/proc/self/fd/0", root: ROOT, path: "/dev/stdin" },
  { op: "symlink", target: "/proc/self/fd/1", root: ROOT, path: "/dev/stdout" },
  { op: "symlink", target: "/proc/self/fd/2", root: ROOT, path: "/dev/stderr" },
  { op: "symlink", target: "pts/ptmx", root: ROOT, path: "/dev/ptmx" },
  { op: "symlink", target: "/proc/kcore", root: ROOT, path: "/dev/core" },
];

test("docker's default spec, created (OCI create)", () => {
  const spec = defaultSpec();
  spec.process!.args = ["/bin/sh", "-c", "echo hi"];
  const plan = compile(spec, {
    bundle: "/b",
    lastCap: 40,
    detach: true,
    execFifo: "/run/x/exec.fifo",
    pidFile: "/run/x/pid",
    exitFile: "/run/x/exit",
    log: { path: "/var/log/x.log", maxBytes: 0 },
  });
  const expected: Plan = [
    { op: "clone", flags: DOCKER_CLONE },
    { op: "detach" },
    { op: "log", path: "/var/log/x.log", maxBytes: 0, maxFiles: undefined, lineMax: 16384 },
    { op: "drain", ms: 100 },
    { op: "pidfile", path: "/run/x/pid" },
    { op: "exitfile", path: "/run/x/exit" },
    { op: "execfifo", path: "/run/x/exec.fifo" },
    { op: "unshare", flags: 0x2000000 },
    // A new network namespace: its lo is brought up (a joined one is left as it is).
    { op: "loopback" },
    mount("", "", "/", "", MS.REC | MS.PRIVATE, "", "none"),
    mount(ROOT, "", ROOT, "", MS.BIND | MS.REC, "", "none"),
    mount("proc", ROOT, "/proc", "proc", MS.NOSUID | MS.NOEXEC | MS.NODEV, "", "dir"),
    mount("tmpfs", ROOT, "/dev", "tmpfs", MS.NOSUID | MS.STRICTATIME, "mode=755,size=65536k", "dir"),
    mount("devpts", ROOT, "/dev/pts", "devpts", MS.NOSUID | MS.NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5", "dir"),
    mount("sysfs", ROOT, "/sys", "sysfs", MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY, "", "dir"),
    // No cgroups managed (no hierarchies given): an empty read-only tmpfs.
    mount("tmpfs", ROOT, "/sys/fs/cgroup", "tmpfs", MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RELATIME | MS.RDONLY, "mode=755", "dir"),
    mount("mqueue", ROOT, "/dev/mqueue", "mqueue", MS.NOSUID | MS.NOEXEC | MS.NODEV, "", "dir"),
    mount("shm", ROOT, "/dev/shm", "tmpfs", MS.NOSUID | MS.NOEXEC | MS.NODEV, "mode=1777,size=65536k", "dir"),
    ...DEV_STEPS,
    { op: "pivot_root", root: ROOT },
    { op: "keyring" },
    { op: "setsid" },
    { op: "hostname", name: "mydocker" },
    ...["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"].map((path) => ({ op: "readonly" as const, path })),
    ...[
      "/proc/asound",
      "/proc/acpi",
      "/proc/kcore",
      "/proc/keys",
      "/proc/latency_stats",
      "/proc/timer_list",
      "/proc/timer_stats",
      "/proc/sched_debug",
      "/proc/scsi",
      "/sys/firmware",
      "/sys/devices/virtual/powercap",
    ].map(maskStep),
    { op: "bounding", mask: CAPS, lastCap: 40 },
    { op: "user", uid: 0, gid: 0, additionalGids: [] },
    { op: "caps", effective: CAPS, permitted: CAPS, inheritable: 0n, ambient: 0n },
    { op: "umask", mask: 0o022 },
    { op: "chdir", dir: "/" },
    { op: "env", entry: "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" },
    { op: "env", entry: "TERM=xterm" },
    { op: "exec", searchPath: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", argv: ["/bin/sh", "-c", "echo hi"] },
  ];
  assert.deepEqual(plan, expected);
});

test("run in the foreground with a terminal, an overlay rootfs, joined namespaces and the rest", () => {
  const spec: Spec = {
    ociVersion: "1.0.2",
    process: {
      terminal: true,
      user: { uid: 1000, gid: 100, additionalGids: [10, 20] },
      args: ["top"],
      env: ["PATH=/bin", "A=b=c"],
      cwd: "/home",
      capabilities: { bounding: ["CAP_KILL", "CAP_CHECKPOINT_RESTORE"], ambient: ["CAP_KILL"] },
      rlimits: [
        { type: "RLIMIT_NOFILE", soft: 1024, hard: 4096 },
        { type: "RLIMIT_CORE", soft: 18446744073709552000, hard: 18446744073709552000 },
      ],
      noNewPrivileges: true,
      oomScoreAdj: 500,
    },
    root: { path: "rootfs", readonly: true },
    hostname: "h",
    domainname: "d",
    mounts: [
      { destination: "/data", source: "vol", type: "bind", options: ["rbind", "ro", "nosuid", "rslave"] },
      { destination: "/etc/hosts", source: "/etc/hosts", options: ["bind"] },
      { destination: "/sys/fs/cgroup", source: "cgroup", type: "cgroup", options: ["ro"] },
    ],
    linux: {
      namespaces: [
        { type: "pid", path: "/proc/7/ns/pid" },
        { type: "network", path: "/run/netns/n1" },
        { type: "mount" },
        { type: "uts" },
        { type: "cgroup" },
      ],
      rootfsPropagation: "slave",
      maskedPaths: ["/proc/kcore"],
      sysctl: { "net.ipv4.ip_forward": "1" },
      devices: [{ type: "c", path: "/dev/null", major: 1, minor: 3, fileMode: 0o600 }, { type: "p", path: "/dev/fifo" }],
    },
  };
  const plan = compile(spec, {
    bundle: "/b",
    lastCap: 39,
    rootfsMount: { source: "overlay", fstype: "overlay", data: "lowerdir=/l,upperdir=/u,workdir=/w" },
    forwardSignals: [1, 2, 15],
    sourceKind: (p) => (p === "/etc/hosts" ? "file" : "dir"),
    sync: true,
  });
  const kill = 1n << 5n;
  const devices = DEV_STEPS.slice(0, 6).map((s) => (s.op === "mknod" && s.path === "/dev/null" ? { ...s, mode: 0o020600 } : s));
  const expected: Plan = [
    { op: "clone", flags: 0x20000 + 0x4000000 },
    { op: "pidns", path: "/proc/7/ns/pid" },
    { op: "sync" },
    { op: "tty" },
    { op: "drain", ms: 100 },
    { op: "sigforward", signals: [1, 2, 15] },
    { op: "setns", nstype: 0x40000000, path: "/run/netns/n1" },
    { op: "unshare", flags: 0x2000000 },
    mount("", "", "/", "", MS.SLAVE, "", "none"),
    mount("overlay", "", ROOT, "overlay", 0, "lowerdir=/l,upperdir=/u,workdir=/w", "none"),
    mount("/b/vol", ROOT, "/data", "", MS.BIND | MS.REC, "", "dir"),
    mount("", ROOT, "/data", "", MS.BIND | MS.REC | MS.RDONLY | MS.NOSUID | MS.REMOUNT, "", "none"),
    mount("", ROOT, "/data", "", MS.SLAVE | MS.REC, "", "none"),
    mount("/etc/hosts", ROOT, "/etc/hosts", "", MS.BIND, "", "file"),
    mount("tmpfs", ROOT, "/sys/fs/cgroup", "tmpfs", MS.RDONLY | MS.NOSUID | MS.NOEXEC | MS.NODEV, "mode=755", "dir"),
    ...devices,
    { op: "mknod", root: ROOT, path: "/dev/fifo", mode: 0o010666, major: 0, minor: 0, uid: 0, gid: 0 },
    ...DEV_STEPS.slice(6),
    { op: "pivot_root", root: ROOT },
    { op: "keyring" },
    { op: "setsid" },
    { op: "console", consolePath: "/dev/console" },
    { op: "hostname", name: "h" },
    { op: "domainname", name: "d" },
    { op: "sysctl", key: "net.ipv4.ip_forward", value: "1" },
    maskStep("/proc/kcore"),
    mount("", "", "/", "", MS.BIND | MS.REMOUNT | MS.RDONLY, "", "none"),
    { op: "oomscoreadj", value: 500 },
    { op: "rlimit", resource: 7, soft: 1024n, hard: 4096n },
    { op: "rlimit", resource: 4, soft: 18446744073709551615n, hard: 18446744073709551615n },
    // CAP_CHECKPOINT_RESTORE (40) is past this kernel's last capability (39): left out.
    { op: "bounding", mask: kill, lastCap: 39 },
    { op: "user", uid: 1000, gid: 100, additionalGids: [10, 20] },
    // Ambient without permitted and inheritable cannot be raised: left out, as runc ends up.
    { op: "caps", effective: 0n, permitted: 0n, inheritable: 0n, ambient: 0n },
    { op: "nonewprivs" },
    { op: "umask", mask: 0o022 },
    { op: "chdir", dir: "/home" },
    { op: "env", entry: "PATH=/bin" },
    { op: "env", entry: "A=b=c" },
    { op: "exec", searchPath: "/bin", argv: ["top"] },
  ];
  assert.deepEqual(plan, expected);
});

test("noPivot chroots, a bound /dev gets no device nodes, no capabilities leave them as they are; a bind from /proc/PID/root is taken in that process's mount namespace", () => {
  const spec: Spec = {
    ociVersion: "1.0.2",
    process: { user: { uid: 0, gid: 0 }, args: ["true"], cwd: "/" },
    root: { path: "/abs/root" },
    mounts: [
      { destination: "/dev", source: "/dev", options: ["rbind"] },
      { destination: "/dev/shm", source: "/proc/77/root/dev/shm", type: "bind", options: ["rbind", "nosuid"] },
    ],
    linux: { namespaces: [{ type: "mount" }], rootfsPropagation: "rshared" },
  };
  assert.deepEqual(compile(spec, { bundle: "/b", lastCap: 40, noPivot: true }), [
    { op: "clone", flags: 0x20000 },
    mount("", "", "/", "", MS.REC | MS.PRIVATE, "", "none"),
    mount("/abs/root", "", "/abs/root", "", MS.BIND | MS.REC, "", "none"),
    mount("/dev", "/abs/root", "/dev", "", MS.BIND | MS.REC, "", "dir"),
    { op: "bindfrom", ns: "/proc/77/ns/mnt", source: "/dev/shm", recursive: true, root: "/abs/root", path: "/dev/shm", mkdir: "dir" },
    mount("", "/abs/root", "/dev/shm", "", MS.BIND | MS.REC | MS.NOSUID | MS.REMOUNT, "", "none"),
    { op: "chroot", root: "/abs/root" },
    mount("", "", "/", "", (1 << 20) | MS.REC, "", "none"),
    { op: "keyring" },
    { op: "setsid" },
    { op: "user", uid: 0, gid: 0, additionalGids: [] },
    { op: "umask", mask: 0o022 },
    { op: "chdir", dir: "/" },
    { op: "exec", searchPath: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", argv: ["true"] },
  ]);
});

test("exec joins the container's namespaces and sets up only the process", () => {
  const plan = compileExec(
    { pid: 42, namespaces: ["pid", "network", "ipc", "uts", "mount"] },
    { user: { uid: 0, gid: 0 }, args: ["ps"], env: ["X=1"], cwd: "/tmp", terminal: true, capabilities: { bounding: ["CAP_KILL"] } },
    { lastCap: 40, exitFile: "/run/x/exec-1.exit" },
  );
  assert.deepEqual(plan, [
    { op: "clone", flags: 0 },
    { op: "pidns", path: "/proc/42/ns/pid" },
    { op: "tty" },
    { op: "drain", ms: 100 },
    { op: "exitfile", path: "/run/x/exec-1.exit" },
    { op: "setns", nstype: 0x8000000, path: "/proc/42/ns/ipc" },
    { op: "setns", nstype: 0x4000000, path: "/proc/42/ns/uts" },
    { op: "setns", nstype: 0x40000000, path: "/proc/42/ns/net" },
    { op: "setns", nstype: 0x20000, path: "/proc/42/ns/mnt" },
    { op: "keyring" },
    { op: "setsid" },
    { op: "console", consolePath: "" },
    { op: "bounding", mask: 1n << 5n, lastCap: 40 },
    { op: "user", uid: 0, gid: 0, additionalGids: [] },
    { op: "caps", effective: 0n, permitted: 0n, inheritable: 0n, ambient: 0n },
    { op: "umask", mask: 0o022 },
    { op: "chdir", dir: "/tmp" },
    { op: "env", entry: "X=1" },
    { op: "exec", searchPath: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", argv: ["ps"] },
  ]);
});

test("a child that moves itself into its cgroup does so first, before a new cgroup namespace", () => {
  const spec = defaultSpec();
  spec.process!.args = ["true"];
  spec.linux!.namespaces = [...(spec.linux!.namespaces ?? []), { type: "cgroup" }];
  const join = ["/sys/fs/cgroup/memory/c1/tasks", "/sys/fs/cgroup/pids/c1/tasks"];
  const plan = compile(spec, { bundle: "/b", lastCap: 40, cgroupJoin: join });
  const child = plan.filter((s) => !["clone", "sync", "detach", "tty", "log", "pidfile", "exitfile", "sigforward", "exitcmd"].includes(s.op));
  assert.deepEqual(child.slice(0, 3), [
    { op: "cgroupjoin", path: join[0] },
    { op: "cgroupjoin", path: join[1] },
    { op: "unshare", flags: 0x2000000 },
  ]);
  const exec = compileExec({ pid: 42, namespaces: ["mount"] }, spec.process!, { lastCap: 40, cgroupJoin: join });
  assert.deepEqual(exec.slice(1, 4), [
    { op: "cgroupjoin", path: join[0] },
    { op: "cgroupjoin", path: join[1] },
    { op: "setns", nstype: 0x20000, path: "/proc/42/ns/mnt" },
  ]);
});

test("the spec's devices are made besides the defaults, but never where the runtime makes a /dev link", () => {
  const spec = defaultSpec();
  // As docker --privileged lists them: every node of the host's /dev, /dev/ptmx among them.
  spec.linux!.devices = [
    { type: "c", path: "/dev/ptmx", major: 5, minor: 2, fileMode: 0o666, uid: 0, gid: 0 },
    { type: "b", path: "/dev/loop0", major: 7, minor: 0, fileMode: 0o600, uid: 0, gid: 6 },
    { type: "c", path: "/dev/net/tun", major: 10, minor: 200, fileMode: 0o600, uid: 0, gid: 0 },
  ];
  const steps = compile(spec, { bundle: "/b", lastCap: 40 });
  const nodes = steps.filter((s) => s.op === "mknod").map((s) => s.op === "mknod" && `${s.path} ${s.mode.toString(8)} ${s.major}:${s.minor} ${s.gid}`);
  assert.deepEqual(nodes.slice(6), ["/dev/loop0 60600 7:0 6", "/dev/net/tun 20600 10:200 0"]);
  assert.ok(!nodes.some((n) => typeof n === "string" && n.startsWith("/dev/ptmx")), "no node at /dev/ptmx");
  assert.ok(steps.some((s) => s.op === "symlink" && s.path === "/dev/ptmx" && s.target === "pts/ptmx"));
});

test("a user namespace joined by path: the monitor joins it before the clone and a joined PID namespace; the child becomes its root and binds the host's devices", () => {
  const spec = defaultSpec();
  spec.process!.args = ["true"];
  spec.linux!.namespaces = [
    ...(spec.linux!.namespaces ?? []).filter((n) => n.type !== "pid" && n.type !== "network"),
    { type: "user", path: "/proc/7/ns/user" },
    { type: "pid", path: "/proc/7/ns/pid" },
    { type: "network", path: "/proc/7/ns/net" },
  ];
  const plan = compile(spec, { bundle: "/b", lastCap: 40 });
  assert.deepEqual(plan.slice(0, 3), [
    { op: "clone", flags: 0x8000000 + 0x4000000 + 0x20000 },
    { op: "userns", path: "/proc/7/ns/user" },
    { op: "pidns", path: "/proc/7/ns/pid" },
  ]);
  const child = plan.filter((s) => s.op === "user" || s.op === "setns");
  assert.deepEqual(child.slice(0, 2), [
    { op: "user", uid: 0, gid: 0, additionalGids: [] },
    { op: "setns", nstype: 0x40000000, path: "/proc/7/ns/net" },
  ]);
  assert.ok(!plan.some((s) => s.op === "mknod"), "no mknod in a user namespace");
  assert.ok(plan.some((s) => s.op === "mount" && s.path === "/dev/null" && s.source === "/dev/null"), "/dev/null is the host's, bound");
});

test("process.apparmorProfile: asked for first of the final steps where the host has AppArmor, in a run and an exec; not at all where it has not", () => {
  const spec = defaultSpec();
  spec.process!.args = ["true"];
  spec.process!.apparmorProfile = "docker-default";
  const finals = (p: Plan) => p.slice(p.findIndex((s) => s.op === "apparmor" || s.op === "bounding"));
  assert.deepEqual(finals(compile(spec, { bundle: "/b", lastCap: 40, appArmor: true })).slice(0, 2).map((s) => s.op), ["apparmor", "bounding"]);
  assert.deepEqual(compile(spec, { bundle: "/b", lastCap: 40, appArmor: true }).find((s) => s.op === "apparmor"), { op: "apparmor", profile: "docker-default" });
  assert.ok(!compile(spec, { bundle: "/b", lastCap: 40 }).some((s) => s.op === "apparmor"));
  assert.ok(compileExec({ pid: 42, namespaces: ["mount"] }, spec.process!, { lastCap: 40, appArmor: true }).some((s) => s.op === "apparmor"));
});
