// docker run/create's host flags, each seen from inside the container and in inspect's
// HostConfig: --ulimit, --shm-size, --device, --device-cgroup-rule, --group-add, --sysctl,
// --domainname, --ipc, --pid, --uts, --volumes-from, --cidfile, --label-file, the memory
// flags, --log-driver/--log-opt rotation, --platform, and the flags refused clearly.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { cgroupDirs, cliSuite, isRoot, NOT_ROOT } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait.js";

const skip = isRoot() ? false : NOT_ROOT;
const suite = cliSuite();
const md = suite.md;

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-hostflags-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function inspect(name: string, format: string): string {
  const r = md("inspect", "-f", format, name);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

/** A refused flag: docker's engine error status, one line saying what was wrong, no container left. */
function refused(args: string[], message: RegExp): void {
  const before = md("ps", "-aq").stdout;
  const r = md("run", "--rm", ...args, "busybox", "true");
  assert.equal(r.status, 125, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, message);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.equal(md("ps", "-aq").stdout, before, "nothing is left behind");
}

test("--ulimit sets the limits the process sees; HostConfig.Ulimits as docker's", { skip }, () => {
  const r = md("run", "--network", "none", "--name", "ul", "--ulimit", "nofile=1024:2048", "--ulimit", "nproc=300", "busybox", "sh", "-c", "ulimit -n; ulimit -Hn; ulimit -u");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "1024\n2048\n300\n");
  assert.equal(inspect("ul", "{{json .HostConfig.Ulimits}}"), '[{"Name":"nofile","Soft":1024,"Hard":2048},{"Name":"nproc","Soft":300,"Hard":300}]');
  md("rm", "ul");
  refused(["--ulimit", "nofile=2048:1024"], /ulimit soft limit must be less than or equal to hard limit: 2048 > 1024/);
  refused(["--ulimit", "bogus=1"], /invalid ulimit type: bogus/);
});

test("--shm-size sizes /dev/shm (64m by default, as docker)", { skip }, () => {
  const r = md("run", "--network", "none", "--name", "shm", "--shm-size", "32m", "busybox", "df", "-k", "/dev/shm");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^shm\s+32768\s/m);
  assert.equal(inspect("shm", "{{.HostConfig.ShmSize}}"), String(32 * 2 ** 20));
  md("rm", "shm");
  const d = md("run", "--network", "none", "--rm", "busybox", "df", "-k", "/dev/shm");
  assert.match(d.stdout, /^shm\s+65536\s/m);
});

test("--device makes the node with its permissions; the cgroup allows only those; --device-cgroup-rule adds a rule", { skip }, (t) => {
  // loop devices are in no default rule: what the container may do with one is what --device says.
  if (!fs.existsSync("/dev/loop0")) return t.skip("the host has no /dev/loop0");
  const r = md("run", "--network", "none", "--name", "dev", "--device", "/dev/loop0:/dev/xda:r", "busybox", "sh", "-c",
    "ls -l /dev/xda; dd if=/dev/xda of=/dev/null bs=1 count=0 2>/dev/null && echo read-ok; (: > /dev/xda) 2>/dev/null || echo write-refused");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^brw\S+\s+\d+\s+\S+\s+\S+\s+7,\s+0 .* \/dev\/xda$/m);
  assert.match(r.stdout, /^read-ok$/m);
  assert.match(r.stdout, /^write-refused$/m);
  assert.equal(inspect("dev", "{{json .HostConfig.Devices}}"), '[{"PathOnHost":"/dev/loop0","PathInContainer":"/dev/xda","CgroupPermissions":"r"}]');
  md("rm", "dev");
  // A node made with mknod (docker's default rules allow making any) can be used only with a rule.
  const use = "mknod /dev/l0 b 7 0 && (dd if=/dev/l0 of=/dev/null bs=1 count=0 2>/dev/null && echo used || echo use-refused)";
  const rule = md("run", "--network", "none", "--rm", "--device-cgroup-rule", "b 7:* rwm", "busybox", "sh", "-c", use);
  assert.equal(rule.stdout, "used\n", rule.stderr);
  const none = md("run", "--network", "none", "--rm", "busybox", "sh", "-c", use);
  assert.equal(none.stdout, "use-refused\n", none.stderr);
  refused(["--device", "/dev/nonexistent-pc"], /error gathering device information while adding custom device "\/dev\/nonexistent-pc": no such file or directory/);
  refused(["--device", "/dev/null:/dev/x:rwz"], /invalid device mode: rwz/);
  refused(["--device-cgroup-rule", "x 1:2 rwm"], /invalid device cgroup format 'x 1:2 rwm'/);
});

test("--group-add adds groups by gid and by the image's group names", { skip }, () => {
  const base = md("run", "--network", "none", "--rm", "busybox", "id", "-G").stdout.trim();
  const r = md("run", "--network", "none", "--name", "grp", "--group-add", "1234", "--group-add", "nogroup", "busybox", "id", "-G");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${base} 1234 65534\n`);
  assert.equal(inspect("grp", "{{json .HostConfig.GroupAdd}}"), '["1234","nogroup"]');
  md("rm", "grp");
  const bad = md("run", "--network", "none", "--rm", "--group-add", "nosuchgroup", "busybox", "true");
  assert.equal(bad.status, 125);
  assert.match(bad.stderr, /Unable to find group nosuchgroup/);
});

test("--sysctl sets namespaced sysctls; others and host-namespace ones are refused", { skip }, () => {
  const r = md("run", "--network", "none", "--name", "sys", "--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.shmmax=1000000", "busybox", "sysctl", "net.ipv4.ip_forward", "kernel.shmmax");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "net.ipv4.ip_forward = 1\nkernel.shmmax = 1000000\n");
  assert.equal(inspect("sys", "{{json .HostConfig.Sysctls}}"), '{"kernel.shmmax":"1000000","net.ipv4.ip_forward":"1"}');
  md("rm", "sys");
  refused(["--sysctl", "kernel.panic=1"], /invalid argument "kernel.panic=1" for "--sysctl" flag: sysctl 'kernel.panic=1' is not allowed/);
  refused(["--network", "host", "--sysctl", "net.ipv4.ip_forward=1"], /sysctl net.ipv4.ip_forward cannot be set: it requires a network namespace/);
  refused(["--ipc", "host", "--sysctl", "kernel.shmmax=1"], /sysctl kernel.shmmax cannot be set: it requires an ipc namespace/);
});

test("--domainname and --uts host", { skip }, () => {
  const d = md("run", "--network", "none", "--rm", "--domainname", "example.org", "busybox", "cat", "/proc/sys/kernel/domainname");
  assert.equal(d.stdout, "example.org\n", d.stderr);
  const u = md("run", "--network", "none", "--name", "uts", "--uts", "host", "busybox", "sh", "-c", "hostname; echo $HOSTNAME; readlink /proc/self/ns/uts");
  assert.equal(u.status, 0, u.stderr);
  assert.equal(u.stdout, `${os.hostname()}\n${os.hostname()}\n${fs.readlinkSync("/proc/self/ns/uts")}\n`);
  assert.equal(inspect("uts", "{{.HostConfig.UTSMode}}"), "host");
  md("rm", "uts");
  refused(["--uts", "host", "-h", "x"], /Conflicting options: hostname and the UTS mode/);
});

test("--ipc shareable/container:/host and --pid container:/host share what docker shares", { skip }, () => {
  assert.equal(md("run", "--network", "none", "-d", "--name", "donor", "--ipc", "shareable", "busybox", "sleep", "300").status, 0);
  const donorIpc = md("exec", "donor", "readlink", "/proc/self/ns/ipc").stdout;
  const r = md("run", "--network", "none", "--rm", "--ipc", "container:donor", "--pid", "container:donor", "busybox", "sh", "-c", "readlink /proc/self/ns/ipc; cat /proc/1/cmdline | tr '\\0' ' '");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${donorIpc}sleep 300 `, "the donor's IPC namespace, and its processes in /proc");
  const own = md("run", "--network", "none", "--rm", "busybox", "readlink", "/proc/self/ns/ipc").stdout;
  assert.notEqual(own, donorIpc, "private by default");
  assert.equal(md("run", "--network", "none", "-d", "--name", "private", "busybox", "sleep", "300").status, 0);
  const np = md("run", "--network", "none", "--rm", "--ipc", "container:private", "busybox", "true");
  assert.equal(np.status, 125);
  assert.match(np.stderr, /non-shareable IPC/);
  const host = md("run", "--network", "none", "--rm", "--ipc", "host", "--pid", "host", "busybox", "sh", "-c", "readlink /proc/self/ns/ipc; readlink /proc/self/ns/pid");
  assert.equal(host.stdout, `${fs.readlinkSync("/proc/self/ns/ipc")}\n${fs.readlinkSync("/proc/self/ns/pid")}\n`, host.stderr);
  assert.equal(inspect("donor", "{{.HostConfig.IpcMode}} {{.HostConfig.PidMode}}"), "shareable");
  md("rm", "-f", "donor", "private");
  const gone = md("run", "--network", "none", "--rm", "--pid", "container:donor", "busybox", "true");
  assert.equal(gone.status, 125);
  assert.match(gone.stderr, /No such container: donor/);
  refused(["--ipc", "bogus"], /invalid --ipc value "bogus"/);
});

test("--ipc container: shares the donor's /dev/shm both ways; --ipc host (and a host donor's joiner) the host's", { skip }, async (t) => {
  assert.equal(md("run", "--network", "none", "-d", "--name", "shmdonor", "--ipc", "shareable", "busybox", "sh", "-c", "echo from-donor > /dev/shm/d; exec sleep 300").status, 0);
  t.after(() => md("rm", "-f", "shmdonor", "shmhost"));
  await waitFor(() => md("exec", "shmdonor", "cat", "/dev/shm/d").stdout === "from-donor\n", { what: "the donor's file" });
  const j = md("run", "--network", "none", "--rm", "--ipc", "container:shmdonor", "busybox", "sh", "-c", "cat /dev/shm/d; echo from-joiner > /dev/shm/j");
  assert.equal(j.status, 0, j.stderr);
  assert.equal(j.stdout, "from-donor\n");
  assert.equal(md("exec", "shmdonor", "cat", "/dev/shm/j").stdout, "from-joiner\n", "the joiner's file is in the donor's /dev/shm");
  const own = md("run", "--network", "none", "--rm", "--ipc", "shareable", "busybox", "ls", "/dev/shm");
  assert.equal(own.stdout, "", "a container of its own IPC has a /dev/shm of its own");

  const name = `mydocker-test-${process.pid}`;
  fs.writeFileSync(`/dev/shm/${name}`, "from-host\n");
  t.after(() => fs.rmSync(`/dev/shm/${name}`, { force: true }));
  const h = md("run", "--network", "none", "--rm", "--ipc", "host", "busybox", "cat", `/dev/shm/${name}`);
  assert.equal(h.stdout, "from-host\n", h.stderr);
  assert.equal(md("run", "--network", "none", "-d", "--name", "shmhost", "--ipc", "host", "busybox", "sleep", "300").status, 0);
  const hj = md("run", "--network", "none", "--rm", "--ipc", "container:shmhost", "busybox", "cat", `/dev/shm/${name}`);
  assert.equal(hj.stdout, "from-host\n", hj.stderr);
});

test("--volumes-from: the other container's binds and volumes, :ro makes them read-only", { skip }, (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, "f"), "from the host\n");
  assert.equal(md("create", "--network", "none", "--name", "vsrc", "-v", `${dir}:/data`, "-v", "pc-vf:/vol", "busybox", "true").status, 0);
  const rw = md("run", "--network", "none", "--name", "vrw", "--volumes-from", "vsrc", "busybox", "sh", "-c", "cat /data/f; echo hi > /vol/x && cat /vol/x");
  assert.equal(rw.stdout, "from the host\nhi\n", rw.stderr);
  assert.equal(inspect("vrw", "{{json .HostConfig.VolumesFrom}}"), '["vsrc"]');
  const ro = md("run", "--network", "none", "--rm", "--volumes-from", "vsrc:ro", "busybox", "sh", "-c", "cat /vol/x; echo y > /vol/y || echo refused");
  assert.match(ro.stdout, /^hi\nrefused\n$/);
  assert.equal(md("volume", "rm", "pc-vf").status, 1, "the volume is in use by the containers that got it");
  md("rm", "vsrc", "vrw");
  md("volume", "rm", "pc-vf");
  refused(["--volumes-from", "nosuch"], /No such container: nosuch/);
});

test("--cidfile gets the id; an existing file is refused before anything is made", { skip }, (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, "cid");
  const r = md("run", "--network", "none", "--rm", "--cidfile", file, "busybox", "true");
  assert.equal(r.status, 0, r.stderr);
  assert.match(fs.readFileSync(file, "utf8"), /^[0-9a-f]{64}$/);
  const c = md("create", "--network", "none", "--cidfile", path.join(dir, "c2"), "busybox", "true");
  assert.equal(fs.readFileSync(path.join(dir, "c2"), "utf8"), c.stdout.trim());
  md("rm", c.stdout.trim());
  refused(["--cidfile", file], /container ID file found, make sure the other container isn't running or delete/);
  const bad = md("run", "--network", "none", "--rm", "--cidfile", path.join(dir, "c3"), "nosuchimage-pc:1", "true");
  assert.equal(bad.status, 125);
  assert.equal(fs.existsSync(path.join(dir, "c3")), false, "a failed create leaves no id file");
});

test("--label-file, with --label over it", { skip }, (t) => {
  const file = path.join(tempDir(t), "labels");
  fs.writeFileSync(file, "a=1\n# comment\n\nb=2\n");
  assert.equal(md("create", "--network", "none", "--name", "lbl", "--label-file", file, "--label", "b=3", "busybox", "true").status, 0);
  assert.equal(inspect("lbl", "{{json .Config.Labels}}"), '{"a":"1","b":"3"}');
  md("rm", "lbl");
});

test("--memory-reservation, --memory-swappiness and --oom-kill-disable reach the memory cgroup", { skip }, (t) => {
  const r = md("run", "--network", "none", "-d", "--name", "mem", "-m", "64m", "--memory-reservation", "32m", "--memory-swappiness", "10", "--oom-kill-disable", "busybox", "sleep", "300");
  assert.equal(r.status, 0, r.stderr);
  const id = r.stdout.trim();
  const dir = cgroupDirs(`${suite.roots().cgroupParent}/${id}`).find((d) => d.includes("/memory/"));
  if (!dir) {
    md("rm", "-f", "mem");
    return t.skip("no cgroup v1 memory hierarchy: swappiness and oom_control have no cgroup v2 file (docker drops them there too)");
  }
  assert.equal(fs.readFileSync(path.join(dir, "memory.soft_limit_in_bytes"), "utf8").trim(), String(32 * 2 ** 20));
  assert.equal(fs.readFileSync(path.join(dir, "memory.swappiness"), "utf8").trim(), "10");
  assert.match(fs.readFileSync(path.join(dir, "memory.oom_control"), "utf8"), /^oom_kill_disable 1$/m);
  md("rm", "-f", "mem");
  refused(["--memory-swappiness", "101"], /Invalid value: 101, valid memory swappiness range is 0-100/);
});

test("--log-opt max-size/max-file rotation by the monitor; --log-driver none keeps nothing", { skip }, async () => {
  const r = md("run", "--network", "none", "-d", "--name", "rot", "--log-opt", "max-size=1k", "--log-opt", "max-file=3", "busybox", "sh", "-c",
    "i=0; while [ $i -lt 300 ]; do echo line$i; i=$((i+1)); done");
  assert.equal(r.status, 0, r.stderr);
  const dir = path.join(suite.roots().root, "containers", r.stdout.trim());
  await waitFor(() => inspect("rot", "{{.State.Status}}") === "exited", { timeoutMs: 30_000 });
  const logs = fs.readdirSync(dir).filter((n) => n.startsWith("container.log")).sort();
  assert.deepEqual(logs, ["container.log", "container.log.1", "container.log.2"], "three files in all");
  for (const f of logs) assert.ok(fs.statSync(path.join(dir, f)).size <= 1024, `${f} is within max-size`);
  const lines = md("logs", "rot").stdout.trimEnd().split("\n");
  assert.equal(lines.at(-1), "line299", "logs reads the rotated files and the current one, in order");
  assert.deepEqual(lines, lines.map((_, i) => `line${300 - lines.length + i}`), "the newest lines, none missing in between");
  assert.equal(inspect("rot", "{{json .HostConfig.LogConfig}}"), '{"Type":"json-file","Config":{"max-size":"1k","max-file":"3"}}');
  md("rm", "rot");
  // max-size alone: docker's json-file keeps one file (max-file 1), which starts over.
  const one = md("run", "--network", "none", "-d", "--name", "one", "--log-opt", "max-size=1k", "busybox", "sh", "-c", "i=0; while [ $i -lt 300 ]; do echo line$i; i=$((i+1)); done");
  await waitFor(() => inspect("one", "{{.State.Status}}") === "exited", { timeoutMs: 30_000 });
  const oneDir = path.join(suite.roots().root, "containers", one.stdout.trim());
  assert.deepEqual(fs.readdirSync(oneDir).filter((n) => n.startsWith("container.log")), ["container.log"]);
  assert.ok(fs.statSync(path.join(oneDir, "container.log")).size <= 1024);
  assert.equal(md("logs", "one").stdout.trimEnd().split("\n").at(-1), "line299");
  md("rm", "one");

  assert.equal(md("run", "--network", "none", "--name", "nolog", "-d", "--log-driver", "none", "busybox", "echo", "hi").status, 0);
  await waitFor(() => inspect("nolog", "{{.State.Status}}") === "exited", { timeoutMs: 30_000 });
  const l = md("logs", "nolog");
  assert.equal(l.status, 1);
  assert.match(l.stderr, /configured logging driver does not support reading/);
  md("rm", "nolog");
  refused(["--log-driver", "syslog"], /unknown log driver 'syslog'/);
  refused(["--log-opt", "tag=x"], /unknown log opt 'tag' for json-file log driver/);
  refused(["--log-opt", "max-file=3"], /max-file cannot be set if max-size is not set/);
});

test("--stop-timeout on create, --platform against the image, --kernel-memory and --gpus refused", { skip }, () => {
  assert.equal(md("create", "--network", "none", "--name", "st", "--stop-timeout", "3", "busybox", "sleep", "300").status, 0);
  assert.equal(inspect("st", "{{.Config.StopTimeout}}"), "3");
  md("rm", "st");
  assert.equal(md("run", "--network", "none", "--rm", "--platform", "linux/amd64", "busybox", "true").status, os.arch() === "x64" ? 0 : 125);
  refused(["--platform", "linux/s390x"], /image with reference busybox was found but does not match the specified platform: wanted linux\/s390x, actual: linux\//);
  refused(["--stop-timeout", "soon"], /invalid argument "soon" for "--stop-timeout" flag/);
  refused(["--kernel-memory", "10m"], /--kernel-memory is not supported/);
  refused(["--gpus", "all"], /--gpus is not supported/);
});
