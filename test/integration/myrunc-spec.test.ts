// The OCI runtime spec against bin/myrunc, field by field: one bundle per field. Each field
// the runtime accepts is shown taking effect inside the container (the container's own
// words on its stdout); each field it refuses fails `run` with a message naming the field,
// and leaves no container behind.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { Spec } from "../../src/spec/runtime.js";
import { cgroupDirs } from "../helpers/cli.js";
import { runcEnv, type RuncEnv } from "../helpers/myrunc.js";
import { runtimeSkip } from "../helpers/runtime.js";

const skip = runtimeSkip();
let env: RuncEnv;

before(() => {
  if (!skip) env = runcEnv("myrunc-spec-");
});
after(() => env?.cleanup());

interface Takes {
  /** The spec field, as the OCI spec names it. */
  field: string;
  change: (s: Spec) => void;
  /** A shell script run in the container: what it prints shows the field took effect. */
  script: string;
  expect: RegExp;
}

const linux = (s: Spec) => (s.linux ??= {});
const TEN_DAYS = 864_000;
function userns(s: Spec): void {
  // The namespace's root is the host's 100000: it must get through to the rootfs (mkdtemp made the dir 0700).
  fs.chmodSync(env.base, 0o755);
  linux(s).namespaces!.push({ type: "user" });
  linux(s).uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  linux(s).gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
}
/** Sets a field the spec's types do not have (one the runtime must refuse). */
const set = (o: object | undefined, key: string, value: unknown) => ((o as Record<string, unknown>)[key] = value);
const resources = (s: Spec) => (linux(s).resources ??= {});

/** The cgroup v1 file of the container's own cgroup, as it sees it (its cgroup namespace and mount). */
const v1 = (controller: string, file: string) => `cat /sys/fs/cgroup/${controller}/${file}`;

const TAKES: Takes[] = [
  {
    field: "process.rlimits",
    change: (s) => (s.process!.rlimits = [{ type: "RLIMIT_NOFILE", soft: 321, hard: 654 }, { type: "RLIMIT_CORE", soft: 0, hard: 0 }]),
    script: "ulimit -n; ulimit -Hn; ulimit -c",
    expect: /^321\n654\n0\n$/,
  },
  {
    field: "process.oomScoreAdj",
    change: (s) => (s.process!.oomScoreAdj = 345),
    script: "cat /proc/self/oom_score_adj",
    expect: /^345\n$/,
  },
  {
    field: "process.user",
    change: (s) => (s.process!.user = { uid: 1234, gid: 567, additionalGids: [89], umask: 0o027 }),
    script: "id -u; id -g; id -G; umask",
    expect: /^1234\n567\n567 89\n0027\n$/,
  },
  {
    field: "process.env and process.cwd",
    change: (s) => {
      s.process!.env = ["PATH=/bin", "MYRUNC_FIELD=env-ok"];
      s.process!.cwd = "/tmp";
    },
    script: "echo $MYRUNC_FIELD; pwd",
    expect: /^env-ok\n\/tmp\n$/,
  },
  {
    field: "process.terminal and process.consoleSize",
    change: (s) => {
      s.process!.terminal = true;
      s.process!.consoleSize = { height: 33, width: 77 };
    },
    script: "tty; stty size",
    expect: /^\/dev\/pts\/\d+\r?\n33 77\r?\n$/,
  },
  {
    field: "process.noNewPrivileges",
    change: (s) => (s.process!.noNewPrivileges = true),
    script: "grep NoNewPrivs /proc/self/status",
    expect: /NoNewPrivs:\s+1/,
  },
  {
    field: "process.capabilities",
    change: (s) => (s.process!.capabilities = { bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"] }),
    script: "grep -E 'CapEff|CapBnd' /proc/self/status",
    expect: /CapEff:\s+0000000000000020\nCapBnd:\s+0000000000000020/,
  },
  {
    field: "hostname and domainname",
    change: (s) => {
      s.hostname = "spec-host";
      s.domainname = "spec.example";
    },
    script: "hostname; cat /proc/sys/kernel/domainname",
    expect: /^spec-host\nspec\.example\n$/,
  },
  {
    field: "root.readonly",
    change: (s) => (s.root!.readonly = true),
    script: "touch /x 2>&1; echo rc=$?",
    expect: /Read-only file system\nrc=1/,
  },
  {
    field: "mounts (tmpfs with options)",
    change: (s) => s.mounts!.push({ destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["size=1m", "mode=710"] }),
    script: "stat -c %a /scratch; grep ' /scratch ' /proc/mounts",
    expect: /^710\ntmpfs \/scratch tmpfs rw.*size=1024k/,
  },
  {
    field: "mounts (a read-only bind of a host directory)",
    change: (s) => {
      const dir = path.join(env.base, "bind-src");
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "f"), "from the host\n");
      s.mounts!.push({ destination: "/from-host", type: "bind", source: dir, options: ["rbind", "ro"] });
    },
    script: "cat /from-host/f; touch /from-host/x 2>&1; echo rc=$?",
    expect: /^from the host\n.*Read-only file system\nrc=1\n$/,
  },
  {
    field: "linux.maskedPaths and linux.readonlyPaths",
    change: (s) => {
      linux(s).maskedPaths = ["/etc/group"];
      linux(s).readonlyPaths = ["/tmp"];
    },
    script: "wc -c < /etc/group; touch /tmp/x 2>&1; echo rc=$?",
    expect: /^0\n.*Read-only file system\nrc=1\n$/,
  },
  {
    field: "linux.sysctl",
    change: (s) => (linux(s).sysctl = { "net.ipv4.ip_forward": "1", "kernel.msgmax": "12345" }),
    script: "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax",
    expect: /^1\n12345\n$/,
  },
  {
    field: "linux.devices (mknod in /dev, allowed in the device cgroup)",
    change: (s) => (linux(s).devices ??= []).push({ type: "c", path: "/dev/spec-zero", major: 1, minor: 5, fileMode: 0o640, uid: 0, gid: 0 }),
    script: "stat -c '%F %t:%T %a' /dev/spec-zero; head -c 3 /dev/spec-zero | od -An -tx1",
    expect: /^character special file 1:5 640\n\s*00 00 00\n$/,
  },
  {
    field: "linux.resources.devices (a denied device stays denied)",
    change: (s) => {
      (linux(s).devices ??= []).push({ type: "c", path: "/dev/spec-mem", major: 1, minor: 1, fileMode: 0o600 });
      resources(s).devices!.push({ allow: false, type: "c", major: 1, minor: 1, access: "rwm" });
    },
    script: "head -c 1 /dev/spec-mem 2>&1; echo rc=$?",
    expect: /Operation not permitted\nrc=1/,
  },
  {
    field: "linux.resources.memory",
    change: (s) => (resources(s).memory = { limit: 64 << 20, reservation: 32 << 20, swappiness: 7 }),
    script: `${v1("memory", "memory.limit_in_bytes")}; ${v1("memory", "memory.soft_limit_in_bytes")}; ${v1("memory", "memory.swappiness")}`,
    expect: /^67108864\n33554432\n7\n$/,
  },
  {
    field: "linux.resources.cpu",
    change: (s) => (resources(s).cpu = { shares: 512, quota: 50000, period: 100000, cpus: "0", mems: "0" }),
    script: `${v1("cpu", "cpu.shares")}; ${v1("cpu", "cpu.cfs_quota_us")}; ${v1("cpu", "cpu.cfs_period_us")}; ${v1("cpuset", "cpuset.cpus")}`,
    expect: /^512\n50000\n100000\n0\n$/,
  },
  {
    field: "linux.resources.pids",
    change: (s) => (resources(s).pids = { limit: 42 }),
    script: v1("pids", "pids.max"),
    expect: /^42\n$/,
  },
  {
    field: "linux.resources.blockIO (a throttle on the root's device)",
    change: (s) => {
      const [major, minor] = diskOf(env.base);
      resources(s).blockIO = { throttleReadBpsDevice: [{ major, minor, rate: 1048576 }] };
    },
    script: v1("blkio", "blkio.throttle.read_bps_device"),
    expect: /^\d+:\d+ 1048576\n$/,
  },
  {
    field: "a time namespace with linux.timeOffsets",
    change: (s) => {
      linux(s).namespaces!.push({ type: "time" });
      linux(s).timeOffsets = { boottime: { secs: TEN_DAYS }, monotonic: { secs: TEN_DAYS, nanosecs: 5 } };
    },
    // /proc/uptime counts boottime: the host's plus ten days; the host's own stays as it was.
    script: `u=$(cut -d. -f1 /proc/uptime); [ "$u" -ge ${TEN_DAYS} ] && echo shifted`,
    expect: /^shifted\n$/,
  },
  {
    field: "a user namespace with linux.uidMappings and gidMappings",
    change: userns,
    // Root in there, the host's 100000 outside; the default devices are the host's, bound.
    script: "id -u; id -g; tr -s ' ' < /proc/self/uid_map; tr -s ' ' < /proc/self/gid_map; echo x > /dev/null && echo devices-ok",
    expect: /^0\n0\n 0 100000 65536\n 0 200000 65536\ndevices-ok\n$/,
  },
  {
    field: "annotations (kept in state)",
    change: (s) => (s.annotations = { "org.example.spec": "kept" }),
    script: "true",
    expect: /^$/,
  },
];

/** The disk a path is on (a partition has no I/O queue of its own to throttle: its disk has), from sysfs. */
function diskOf(file: string): [number, number] {
  const dev = fs.statSync(file).dev;
  const sys = `/sys/dev/block/${Math.floor(dev / 256) & 0xfff}:${(dev & 0xff) | ((dev >> 12) & 0xfff00)}`;
  const partition = fs.existsSync(path.join(sys, "partition"));
  const [major = 0, minor = 0] = fs.readFileSync(path.join(sys, partition ? ".." : "", "dev"), "utf8").trim().split(":").map(Number);
  return [major, minor];
}

/** A v2-only host (one cgroup2 hierarchy with controllers) takes `unified`; v1 and hybrid ones refuse it, as runc does. */
const V2_HOST = fs.existsSync("/sys/fs/cgroup/cgroup.controllers");
/**
 * Why the container's cgroup cannot get the hugetlb controller here, if it cannot: it can
 * where v1 mounts a hugetlb hierarchy, or where the v2 root delegates the controller.
 */
function noHugetlb(): string | false {
  if (fs.existsSync("/sys/fs/cgroup/hugetlb")) return false;
  if (V2_HOST) {
    return /\bhugetlb\b/.test(fs.readFileSync("/sys/fs/cgroup/cgroup.subtree_control", "utf8")) ? false : "the hugetlb controller is absent: the cgroup2 root does not delegate it (cgroup.subtree_control lacks hugetlb)";
  }
  const unified = "/sys/fs/cgroup/unified/cgroup.controllers";
  const there = fs.existsSync(unified) && /\bhugetlb\b/.test(fs.readFileSync(unified, "utf8"));
  return `the hugetlb controller is absent: no v1 hugetlb hierarchy is mounted${there ? " (this hybrid host has it in its cgroup2 hierarchy, which the v1 driver sets no limits in)" : ""}`;
}
const HUGETLB_ABSENT = noHugetlb();
const HUGE = { pageSize: "2MB", limit: 4 << 21 };

if (V2_HOST) {
  TAKES.push({ field: "linux.resources.unified", change: (s) => (resources(s).unified = { "pids.max": "17" }), script: "cat /sys/fs/cgroup/pids.max", expect: /^17\n$/ });
}

interface Refuses {
  field: string;
  change: (s: Spec) => void;
  /** The message names the field. */
  error: RegExp;
}

const REFUSES: Refuses[] = [
  ...(V2_HOST ? [] : [{ field: "linux.resources.unified on cgroup v1", change: (s: Spec) => (resources(s).unified = { "pids.max": "17" }), error: /linux\.resources: unified needs cgroup v2/ }]),
  ...(!HUGETLB_ABSENT ? [] : [{ field: "linux.resources.hugepageLimits without the hugetlb controller", change: (s: Spec) => (resources(s).hugepageLimits = [HUGE]), error: /linux\.resources\.hugepageLimits: the hugetlb .*controller is not/ }]),
  {
    field: "linux.intelRdt",
    change: (s) => (set(linux(s), "intelRdt", { closID: "x", l3CacheSchema: "L3:0=f" })),
    error: /linux\.intelRdt.*not supported/,
  },
  {
    field: "linux.resources.network",
    change: (s) => (set(resources(s), "network", { classID: 1048577 })),
    error: /linux\.resources\.network.*not supported/,
  },
  {
    field: "linux.resources.rdma",
    change: (s) => (set(resources(s), "rdma", { mlx5_1: { hcaHandles: 3 } })),
    error: /linux\.resources\.rdma.*not supported/,
  },
  {
    field: "mounts[].uidMappings (idmapped mounts)",
    change: (s) => s.mounts!.push({ destination: "/idm", type: "bind", source: "/tmp", options: ["rbind", "idmap"], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] } as never),
    error: /mounts\[\d+\]\.(uidMappings|options).*idmap.*not supported/,
  },
  {
    field: "linux.mountLabel",
    change: (s) => (linux(s).mountLabel = "system_u:object_r:container_file_t:s0"),
    error: /linux\.mountLabel.*not supported/,
  },
  {
    field: "linux.personality",
    change: (s) => (set(linux(s), "personality", { domain: "LINUX32" })),
    error: /linux\.personality.*not supported/,
  },
  {
    field: "process.selinuxLabel",
    change: (s) => (s.process!.selinuxLabel = "system_u:system_r:container_t:s0"),
    error: /process\.selinuxLabel.*not supported/,
  },
  {
    field: "process.ioPriority",
    change: (s) => (set(s.process, "ioPriority", { class: "IOPRIO_CLASS_IDLE", priority: 0 })),
    error: /process\.ioPriority.*not supported/,
  },
  {
    field: "process.scheduler",
    change: (s) => (set(s.process, "scheduler", { policy: "SCHED_IDLE" })),
    error: /process\.scheduler.*not supported/,
  },
  {
    field: "linux.resources.memory.kernel",
    change: (s) => (resources(s).memory = { kernel: 1 << 30 }),
    error: /linux\.resources\.memory\.kernel.*not supported/,
  },
  {
    field: "linux.timeOffsets without a new time namespace",
    change: (s) => (linux(s).timeOffsets = { boottime: { secs: 1 } }),
    error: /linux\.timeOffsets: requires a new time namespace/,
  },
  {
    field: "a new user namespace without its maps",
    change: (s) => linux(s).namespaces!.push({ type: "user" }),
    error: /linux\.uidMappings: a new user namespace needs uidMappings and gidMappings/,
  },
  {
    field: "linux.uidMappings without a user namespace",
    change: (s) => (linux(s).uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]),
    error: /linux\.uidMappings.*user namespace/,
  },
];

for (const [i, c] of TAKES.entries()) {
  test(`takes effect: ${c.field}`, { skip }, () => {
    const id = `take${i}`;
    const bundle = env.bundle(id, ["sh", "-c", c.script], c.change);
    if (c.field.startsWith("annotations")) {
      assert.equal(env.myrunc(["create", "--bundle", bundle, id], { detached: true }).status, 0);
      const st = JSON.parse(env.myrunc(["state", id]).stdout) as { annotations?: Record<string, string> };
      assert.deepEqual(st.annotations, { "org.example.spec": "kept" });
      assert.equal(env.myrunc(["delete", "--force", id]).status, 0);
      return;
    }
    const r = env.myrunc(["run", "--bundle", bundle, id]);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, c.expect, r.stderr);
  });
}

for (const [i, c] of REFUSES.entries()) {
  test(`refused by name: ${c.field}`, { skip }, () => {
    const id = `refuse${i}`;
    const r = env.myrunc(["run", "--bundle", env.bundle(id, ["true"], c.change), id]);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, c.error);
    assert.equal(r.stderr.trim().split("\n").length, 1, "one line");
    assert.match(env.errors().at(-1) ?? "", c.error);
    assert.equal(env.myrunc(["state", id]).status, 1, "nothing is left behind");
    assert.deepEqual(cgroupDirs(`${env.cgroupParent}/${id}`), []);
  });
}

test("exec joins the container's time namespace", { skip }, () => {
  const bundle = env.bundle("timex", ["sleep", "60"], (s) => {
    linux(s).namespaces!.push({ type: "time" });
    linux(s).timeOffsets = { boottime: { secs: TEN_DAYS } };
  });
  assert.equal(env.myrunc(["run", "-d", "--bundle", bundle, "timex"], { detached: true }).status, 0, env.errors().join("\n"));
  const r = env.myrunc(["exec", "timex", "sh", "-c", `u=$(cut -d. -f1 /proc/uptime); [ "$u" -ge ${TEN_DAYS} ] && echo shifted`]);
  assert.equal(r.stdout, "shifted\n", r.stderr);
  assert.ok(Number(fs.readFileSync("/proc/uptime", "utf8").split(".")[0]) < TEN_DAYS, "the host's clock is its own");
  assert.equal(env.myrunc(["delete", "--force", "timex"]).status, 0);
});

test("linux.namespaces with a path: the container joins them", { skip }, () => {
  assert.equal(env.myrunc(["run", "-d", "--bundle", env.bundle("nshost", ["sleep", "60"]), "nshost"], { detached: true }).status, 0);
  const host = (JSON.parse(env.myrunc(["state", "nshost"]).stdout) as { pid: number }).pid;
  const bundle = env.bundle("nsjoin", ["sh", "-c", "for ns in net uts ipc; do readlink /proc/self/ns/$ns; done"], (s) => {
    linux(s).namespaces = linux(s).namespaces!.map((n) => (["network", "uts", "ipc"].includes(n.type) ? { type: n.type, path: `/proc/${host}/ns/${n.type === "network" ? "net" : n.type}` } : n));
  });
  const r = env.myrunc(["run", "--bundle", bundle, "nsjoin"]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split("\n"), ["net", "uts", "ipc"].map((ns) => fs.readlinkSync(`/proc/${host}/ns/${ns}`)));
  assert.equal(env.myrunc(["delete", "--force", "nshost"]).status, 0);
});

test("a user namespace: the process is the host's mapped ids, and exec joins it", { skip }, () => {
  assert.equal(env.myrunc(["run", "-d", "--bundle", env.bundle("usern", ["sleep", "60"], userns), "usern"], { detached: true }).status, 0, env.errors().join("\n"));
  const pid = (JSON.parse(env.myrunc(["state", "usern"]).stdout) as { pid: number }).pid;
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  assert.match(status, /^Uid:\t100000\t100000\t100000\t100000$/m);
  assert.match(status, /^Gid:\t200000\t200000\t200000\t200000$/m);
  const r = env.myrunc(["exec", "usern", "sh", "-c", "id -u; readlink /proc/self/ns/user"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `0\n${fs.readlinkSync(`/proc/${pid}/ns/user`)}\n`);
  assert.equal(env.myrunc(["delete", "--force", "usern"]).status, 0);
});


test("a user namespace joined by path (a pod's): the container is born in it, root there with its maps; maps that are not its are refused", { skip }, () => {
  assert.equal(env.myrunc(["run", "-d", "--bundle", env.bundle("userpod", ["sleep", "60"], userns), "userpod"], { detached: true }).status, 0, env.errors().join("\n"));
  const pod = (JSON.parse(env.myrunc(["state", "userpod"]).stdout) as { pid: number }).pid;
  const podUserns = fs.readlinkSync(`/proc/${pod}/ns/user`);
  const join = (s: Spec) => linux(s).namespaces!.push({ type: "user", path: `/proc/${pod}/ns/user` });
  try {
    const script = "id -u; id -g; tr -s ' ' < /proc/self/uid_map; tr -s ' ' < /proc/self/gid_map; readlink /proc/self/ns/user; echo x > /dev/null && echo devices-ok";
    const r = env.myrunc(["run", "--bundle", env.bundle("userjoin", ["sh", "-c", script], join), "userjoin"]);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, `0\n0\n 0 100000 65536\n 0 200000 65536\n${podUserns}\ndevices-ok\n`);

    // create + start, as containerd and conmon do: the created init waits in the namespace
    // as its root (the host's 100000), and start lets it go.
    assert.equal(env.myrunc(["create", "--bundle", env.bundle("userjoin2", ["sleep", "60"], join), "userjoin2"], { detached: true }).status, 0, env.errors().join("\n"));
    const pid = (JSON.parse(env.myrunc(["state", "userjoin2"]).stdout) as { pid: number }).pid;
    assert.equal(fs.readlinkSync(`/proc/${pid}/ns/user`), podUserns);
    assert.equal(env.myrunc(["start", "userjoin2"]).status, 0, env.errors().join("\n"));
    assert.equal((JSON.parse(env.myrunc(["state", "userjoin2"]).stdout) as { status: string }).status, "running");
    assert.match(fs.readFileSync(`/proc/${pid}/status`, "utf8"), /^Uid:\t100000\t100000\t100000\t100000$/m);
    const x = env.myrunc(["exec", "userjoin2", "sh", "-c", "id -u; readlink /proc/self/ns/user"]);
    assert.equal(x.stdout, `0\n${podUserns}\n`, x.stderr);
    assert.equal(env.myrunc(["delete", "--force", "userjoin2"]).status, 0);

    const wrong = env.myrunc(["run", "--bundle", env.bundle("userjoin3", ["true"], (s) => {
      join(s);
      linux(s).uidMappings = [{ containerID: 0, hostID: 500000, size: 65536 }];
    }), "userjoin3"]);
    assert.equal(wrong.status, 1, wrong.stdout);
    assert.match(wrong.stderr, /linux\.uidMappings: .* are not the maps of the user namespace joined at \/proc\/\d+\/ns\/user/);
    assert.equal(env.myrunc(["state", "userjoin3"]).status, 1, "nothing is left behind");
    assert.deepEqual(cgroupDirs(`${env.cgroupParent}/userjoin3`), []);
  } finally {
    env.myrunc(["delete", "--force", "userjoin2"]);
    assert.equal(env.myrunc(["delete", "--force", "userpod"]).status, 0);
  }
});

test("process.apparmorProfile: ignored where the host has no AppArmor (as runc); where it has, a profile the kernel will not take fails create with its name", { skip }, (t) => {
  const enabledFile = "/sys/module/apparmor/parameters/enabled";
  const hostHasIt = fs.existsSync(enabledFile) && fs.readFileSync(enabledFile, "utf8").startsWith("Y");
  const profile = (s: Spec) => (s.process!.apparmorProfile = "mydocker-test-no-such-profile");
  if (!hostHasIt) {
    const r = env.myrunc(["run", "--bundle", env.bundle("aaoff", ["sh", "-c", "echo ran"], profile), "aaoff"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "ran\n");
  } else {
    t.diagnostic("this host has AppArmor: the ignored case cannot be shown here");
  }
  // Where AppArmor is on, the shim asks the kernel for the profile at exec: this one does not
  // exist there; here, without AppArmor, the kernel refuses the request itself. The file that
  // says whether AppArmor is on is pointed at one that says Y.
  const yes = path.join(env.base, "apparmor-enabled");
  fs.writeFileSync(yes, "Y\n");
  process.env["MYDOCKER_APPARMOR_ENABLED_FILE"] = yes;
  try {
    const r = env.myrunc(["create", "--bundle", env.bundle("aaon", ["true"], profile), "aaon"], { detached: true });
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /applying the AppArmor profile "mydocker-test-no-such-profile" \(process\.apparmorProfile\)/);
    assert.equal(env.myrunc(["state", "aaon"]).status, 1, "nothing is left behind");
    assert.deepEqual(cgroupDirs(`${env.cgroupParent}/aaon`), []);
  } finally {
    delete process.env["MYDOCKER_APPARMOR_ENABLED_FILE"];
  }
});

test("takes effect: linux.resources.hugepageLimits (the limit in the container's own hugetlb.2MB file)", { skip: skip || HUGETLB_ABSENT }, () => {
  const script = V2_HOST ? "cat /sys/fs/cgroup/hugetlb.2MB.max" : v1("hugetlb", "hugetlb.2MB.limit_in_bytes");
  const r = env.myrunc(["run", "--bundle", env.bundle("hugetlb", ["sh", "-c", script], (s) => (resources(s).hugepageLimits = [HUGE])), "hugetlb"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${HUGE.limit}\n`);
});
