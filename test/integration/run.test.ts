// `mydocker run` end to end on the real kernel: what a docker user sees.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cgroupDirs, isRoot, mountsUnder, runMountsUnder, mydocker, mydockerAsync, NOT_ROOT, stateDirs, tempRoots, type Roots } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait.js";

const skip = isRoot() ? false : NOT_ROOT;
let roots: Roots;

before(() => {
  if (skip) return;
  roots = tempRoots();
});
after(() => roots?.cleanup());

test("the first run makes busybox from the host and runs a command", { skip }, () => {
  const r = mydocker(roots, ["run", "--rm", "busybox", "echo", "hello from a container"]);
  assert.equal(r.stderr.includes("Unable to find image 'busybox:latest' locally"), true, r.stderr);
  assert.equal(r.stdout, "hello from a container\n");
  assert.equal(r.status, 0);
  const again = mydocker(roots, ["run", "--rm", "busybox", "true"]);
  assert.equal(again.stderr, "");
  assert.equal(again.status, 0);
});

test("arguments travel as an array, never joined", { skip }, () => {
  const r = mydocker(roots, ["run", "--rm", "busybox", "sh", "-c", 'for a in "$@"; do echo "[$a]"; done', "x", "a  b", "", "c;d"]);
  assert.equal(r.stdout, "[a  b]\n[]\n[c;d]\n");
});

test("exit statuses: 0, 7, 126, 127, 128+N", { skip }, () => {
  assert.equal(mydocker(roots, ["run", "--rm", "busybox", "true"]).status, 0);
  assert.equal(mydocker(roots, ["run", "--rm", "busybox", "sh", "-c", "exit 7"]).status, 7);
  const notExec = mydocker(roots, ["run", "--rm", "busybox", "/etc/passwd"]);
  assert.equal(notExec.status, 126, notExec.stderr);
  assert.match(notExec.stderr, /permission denied/);
  const missing = mydocker(roots, ["run", "--rm", "busybox", "no-such-command"]);
  assert.equal(missing.status, 127, missing.stderr);
  assert.match(missing.stderr, /executable file not found in \$PATH/);
  assert.equal(missing.stderr.trim().split("\n").length, 1, missing.stderr);
});

test("a command that cannot start fails as soon as its error is known", { skip }, () => {
  // Measured beside a run that works: the machine's load moves both alike.
  let t = Date.now();
  assert.equal(mydocker(roots, ["run", "--rm", "busybox", "true"]).status, 0);
  const ok = Date.now() - t;
  t = Date.now();
  const missing = mydocker(roots, ["run", "--rm", "busybox", "/no-such-file"]);
  const failed = Date.now() - t;
  assert.equal(missing.status, 127, missing.stderr);
  assert.ok(failed < ok + 3000, `the failed run took ${failed} ms, a working one ${ok} ms`);
});

test("a hostname, DNS search domain, DNS option or network alias that would write lines of its own into /etc files is refused in one line", { skip }, () => {
  const cases: [string[], RegExp][] = [
    [["-h", "box\n6.6.6.6 bank.example"], /^mydocker: invalid hostname format: "box\\n6\.6\.6\.6 bank\.example"/],
    [["--domainname", "a b"], /^mydocker: invalid domainname format: "a b"/],
    [["--dns-search", "a.example\nnameserver 6.6.6.6"], /^mydocker: "a\.example\\nnameserver 6\.6\.6\.6" is not a valid domain/],
    [["--dns-option", "ndots:1\nnameserver 6.6.6.6"], /^mydocker: invalid --dns-option "ndots:1\\nnameserver 6\.6\.6\.6"/],
  ];
  assert.equal(mydocker(roots, ["run", "--rm", "busybox", "true"]).status, 0);
  for (const [flags, message] of cases) {
    const r = mydocker(roots, ["run", "--rm", "--name", "badetc", ...flags, "busybox", "cat", "/etc/hosts", "/etc/resolv.conf"]);
    assert.equal(r.status, 125, r.stdout + r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.equal(r.stdout, "");
  }
  assert.equal(mydocker(roots, ["ps", "-aq", "--filter", "name=badetc"]).stdout, "");
  // aardvark-dns's file holds a container's names in one line, split at commas.
  const net = `mdkrev${randomBytes(3).toString("hex")}`;
  assert.equal(mydocker(roots, ["network", "create", net]).status, 0);
  try {
    for (const alias of ["x\nfakeid 10.99.0.7  bank.example", "a,bank.example"]) {
      const r = mydocker(roots, ["run", "-d", "--name", "badalias", "--network", net, "--network-alias", alias, "busybox", "sleep", "100"]);
      assert.equal(r.status, 125, r.stderr);
      assert.match(r.stderr, /^mydocker: invalid network alias ".*": one name, without spaces, commas or line breaks\n$/);
    }
    assert.equal(mydocker(roots, ["run", "-d", "--name", "alias-ok", "--network", "none", "busybox", "sleep", "100"]).status, 0);
    const connect = mydocker(roots, ["network", "connect", "--alias", "a b", net, "alias-ok"]);
    assert.equal(connect.status, 1, connect.stderr);
    assert.match(connect.stderr, /invalid network alias "a b"/);
  } finally {
    mydocker(roots, ["rm", "-f", "badalias", "alias-ok"]);
    mydocker(roots, ["network", "rm", net]);
  }
  assert.equal(mydocker(roots, ["run", "--rm", "-h", "web-1.example", "--dns-search", "a.example", "busybox", "hostname"]).stdout, "web-1.example\n");
});

test("killed by signal N: 128+N", { skip }, async () => {
  // Inside its namespace PID 1 cannot be killed by itself: the signal comes from outside, as with docker kill.
  const run = mydockerAsync(roots, ["run", "--rm", "--name", "victim", "busybox", "sh", "-c", "echo up; sleep 30"]);
  await waitFor(() => run.out().includes("up"), { what: "the container to print up" });
  assert.equal(mydocker(roots, ["kill", "victim"]).status, 0);
  assert.equal((await run.done).status, 137);
});

test("/ is the busybox rootfs; the host's / is not visible", { skip }, () => {
  const marker = fs.mkdtempSync("/mydocker-host-marker-");
  try {
    const r = mydocker(roots, ["run", "--rm", "busybox", "sh", "-c", `test -e ${marker} && echo visible; ls /bin/busybox; readlink /bin/sh`]);
    assert.equal(r.stdout, "/bin/busybox\n/bin/busybox\n", r.stderr);
  } finally {
    fs.rmdirSync(marker);
  }
});

test("hostname and PID 1 inside; the host's hostname unchanged", { skip }, () => {
  const host = os.hostname();
  const r = mydocker(roots, ["run", "--rm", "-h", "box1", "busybox", "sh", "-c", "hostname; echo $$"]);
  assert.equal(r.stdout, "box1\n1\n");
  const dflt = mydocker(roots, ["run", "--rm", "busybox", "hostname"]);
  assert.match(dflt.stdout, /^[0-9a-f]{12}\n$/);
  assert.equal(os.hostname(), host);
});

test("mount inside lists only the container's mounts", { skip }, () => {
  const r = mydocker(roots, ["run", "--rm", "busybox", "cat", "/proc/self/mountinfo"]);
  const points = r.stdout.trim().split("\n").map((l) => l.split(" ")[4]!);
  assert.ok(points.includes("/"));
  for (const p of ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys"]) assert.ok(points.includes(p), `${p} in ${points}`);
  for (const p of points) assert.ok(!p.startsWith("/work") && !p.startsWith("/tmp/mydocker") && !p.startsWith("/var/lib"), `host mount ${p} leaked in`);
  assert.match(r.stdout.split("\n").find((l) => l.split(" ")[4] === "/proc")!, /nosuid,nodev,noexec/);
});

test("/dev holds the standard devices and links", { skip }, () => {
  const r = mydocker(roots, ["run", "--rm", "busybox", "sh", "-c", "ls /dev | sort | tr '\\n' ' '; readlink /dev/fd; echo x > /dev/null && head -c 4 /dev/zero | wc -c"]);
  for (const d of ["null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "mqueue", "fd", "stdin", "stdout", "stderr", "ptmx"]) {
    assert.ok(r.stdout.split(/\s/).includes(d), `/dev/${d} missing: ${r.stdout}`);
  }
  assert.match(r.stdout, /\/proc\/self\/fd\n4\n$/);
});

test("the device cgroup lets the standard devices be used and no other", { skip }, () => {
  // CAP_MKNOD is in docker's default set: the node can be made, not opened (a loop device here).
  const r = mydocker(roots, ["run", "--rm", "busybox", "sh", "-c", "mknod /dev/blk b 7 0; head -c1 /dev/blk; echo denied=$?; echo x > /dev/null; echo null=$?; head -c 2 /dev/urandom | wc -c"]);
  assert.match(r.stderr, /\/dev\/blk: Operation not permitted/);
  assert.equal(r.stdout, "denied=1\nnull=0\n2\n");
  const privileged = mydocker(roots, ["run", "--rm", "--privileged", "busybox", "sh", "-c", "mknod /dev/blk b 7 0; head -c0 /dev/blk; echo opened=$?"]);
  assert.equal(privileged.stdout, "opened=0\n", privileged.stderr);
});

/** A character device of the test's own in the host's /dev (a copy of /dev/null's numbers), removed after. */
function ownDevices(t: { after: (fn: () => void) => void }): string[] {
  const top = `/dev/mydocker-test-${randomBytes(4).toString("hex")}`;
  const dir = `${top}.d`;
  const nested = `${dir}/node`;
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  t.after(() => fs.rmSync(top, { force: true }));
  fs.mkdirSync(dir);
  for (const [p, minor] of [[top, 3], [nested, 5]] as const) {
    const r = spawnSync("mknod", ["-m", "640", p, "c", "1", String(minor)], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
  }
  return [top, nested];
}

test("--privileged gets the host's device nodes; a container without it only the standard ones", { skip }, (t) => {
  // Nodes this test made: another suite may add or remove the host's own meanwhile.
  const [top, nested] = ownDevices(t);
  const script = `stat -c '%n %F %t:%T %a' ${top} ${nested}; test -e /dev/console || echo no console`;
  const r = mydocker(roots, ["run", "--rm", "--privileged", "busybox", "sh", "-c", script]);
  assert.equal(r.stdout, `${top} character special file 1:3 640\n${nested} character special file 1:5 640\nno console\n`, r.stderr);
  const plain = mydocker(roots, ["run", "--rm", "busybox", "sh", "-c", `test -e ${top} || echo top absent; test -e ${nested} || echo nested absent`]);
  assert.equal(plain.stdout, "top absent\nnested absent\n", plain.stderr);
});

test("environment with spaces, working directory, user", { skip }, () => {
  const env = mydocker(roots, ["run", "--rm", "-e", "GREETING=hello  wide world", "busybox", "sh", "-c", 'echo "$GREETING"']);
  assert.equal(env.stdout, "hello  wide world\n");
  assert.equal(mydocker(roots, ["run", "--rm", "-w", "/tmp/deep/er", "busybox", "pwd"]).stdout, "/tmp/deep/er\n");
  assert.equal(mydocker(roots, ["run", "--rm", "-u", "nobody", "busybox", "id"]).stdout, "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n");
  assert.equal(mydocker(roots, ["run", "--rm", "-u", "1000:50", "busybox", "sh", "-c", "id -u; id -g"]).stdout, "1000\n50\n");
  const bad = mydocker(roots, ["run", "--rm", "-u", "nosuchuser", "busybox", "true"]);
  assert.equal(bad.status, 125);
  assert.match(bad.stderr, /unable to find user nosuchuser/);
  // A relative -w is refused in docker's words, for run and exec, before anything is made.
  const before = mydocker(roots, ["ps", "-aq"]).stdout;
  const rel = mydocker(roots, ["run", "--rm", "-w", "rel", "busybox", "pwd"]);
  assert.deepEqual([rel.status, rel.stderr], [125, "mydocker: the working directory 'rel' is invalid, it needs to be an absolute path\n"]);
  assert.equal(mydocker(roots, ["ps", "-aq"]).stdout, before);
  const ctr = mydocker(roots, ["run", "-d", "busybox", "sleep", "60"]).stdout.trim();
  const exec = mydocker(roots, ["exec", "-w", "x/y", ctr, "pwd"]);
  assert.deepEqual([exec.status, exec.stderr], [1, "mydocker: the working directory 'x/y' is invalid, it needs to be an absolute path\n"]);
  mydocker(roots, ["rm", "-f", ctr]);
});

test("docker's default capabilities, --cap-add, --cap-drop, --privileged", { skip }, () => {
  const cap = (args: string[]) => mydocker(roots, ["run", "--rm", ...args, "busybox", "grep", "CapEff", "/proc/self/status"]).stdout.trim();
  assert.equal(cap([]), "CapEff:\t00000000a80425fb");
  assert.equal(cap(["--cap-drop", "NET_RAW"]), "CapEff:\t00000000a80405fb");
  assert.equal(cap(["--cap-add", "SYS_ADMIN"]), "CapEff:\t00000000a82425fb");
  // Everything the engine holds (this host's bounding set may lack some).
  const held = /^CapPrm:\s*(\S+)$/m.exec(fs.readFileSync("/proc/self/status", "utf8"))![1];
  assert.equal(cap(["--privileged"]), `CapEff:\t${held}`);
  assert.equal(cap(["--cap-add", "ALL"]), `CapEff:\t${held}`);
});

test("--security-opt no-new-privileges sets NoNewPrivs", { skip }, () => {
  const nnp = (args: string[]) => mydocker(roots, ["run", "--rm", ...args, "busybox", "grep", "NoNewPrivs", "/proc/self/status"]).stdout.trim();
  assert.equal(nnp([]), "NoNewPrivs:\t0");
  assert.equal(nnp(["--security-opt", "no-new-privileges"]), "NoNewPrivs:\t1");
  assert.equal(mydocker(roots, ["run", "--rm", "--security-opt", "seccomp=x", "busybox", "true"]).status, 125);
});

test("masked and read-only paths", { skip }, () => {
  // This VM's kernel has no /proc/kcore; /proc/keys is masked the same way.
  const masked = fs.existsSync("/proc/kcore") ? "/proc/kcore" : "/proc/keys";
  const r = mydocker(roots, ["run", "--rm", "busybox", "sh", "-c", `wc -c < ${masked}; echo 1 > /proc/sys/kernel/domainname 2>/dev/null || echo ro; ls /sys/firmware | wc -l`]);
  assert.equal(r.stdout, "0\nro\n0\n", r.stderr);
});

test("signals sent to mydocker reach the container", { skip }, async () => {
  const run = mydockerAsync(roots, ["run", "--rm", "busybox", "sh", "-c", "trap 'echo got-term; exit 42' TERM; echo ready; while true; do sleep 0.1; done"]);
  await waitFor(() => run.out().includes("ready"), { what: "the trap to be set" });
  run.child.kill("SIGTERM");
  const r = await run.done;
  assert.equal(r.status, 42);
  assert.match(r.stdout, /got-term/);
});

test("-i passes stdin and its EOF", { skip }, () => {
  const r = mydocker(roots, ["run", "--rm", "-i", "busybox", "sh", "-c", "cat; echo done"], { input: "line one\nline two\n" });
  assert.equal(r.stdout, "line one\nline two\ndone\n");
  const noI = mydocker(roots, ["run", "--rm", "busybox", "cat"], { input: "ignored\n" });
  assert.equal(noI.stdout, "");
});

test("-t gives a real pty, driven through a terminal", { skip: skip || (spawnSync("which", ["script"]).status !== 0 ? "needs script(1) from util-linux" : false) }, () => {
  const cmd = `${path.resolve("bin/mydocker")} run --rm -it busybox sh -c 'tty; stty size; read x; echo "got:$x"; exit 3'`;
  const r = spawnSync("script", ["-qefc", `stty rows 33 cols 111; ${cmd}`, "/dev/null"], {
    env: roots.env,
    input: "hello\n",
    encoding: "utf8",
    timeout: 30_000,
  });
  assert.match(r.stdout, /\/dev\/pts\/0/);
  assert.match(r.stdout, /33 111/);
  assert.match(r.stdout, /got:hello/);
  assert.equal(r.status, 3, r.stdout + r.stderr);
});

test("bad input: one clear line, status 125, nothing left behind", { skip }, () => {
  const before = fs.readdirSync(path.join(roots.root, "containers")).length;
  const cases: string[][] = [
    ["run", "--rm", "no-such-image-here"],
    ["run", "--rm", "--rootfs", "/etc/passwd", "true"],
    ["run", "--rm", "--bogus-flag", "busybox"],
    ["run", "--rm", "-u", "nosuchuser", "busybox", "true"],
  ];
  for (const args of cases) {
    const r = mydocker(roots, args);
    assert.equal(r.status, 125, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split("\n").length <= 2, true, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
  assert.equal(fs.readdirSync(path.join(roots.root, "containers")).length, before);
  assert.deepEqual(stateDirs(roots.runRoot), []);
});

test("not running as root is refused with one line", { skip }, () => {
  const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", path.resolve("bin/mydocker"), "run", "busybox", "true"], {
    env: roots.env,
    encoding: "utf8",
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /must run as root/);
});

test("the host's mount table is the same after 20 runs, kill -9 cases included", { skip }, async () => {
  const ours = () => runMountsUnder(path.dirname(roots.root));
  assert.deepEqual(ours(), []);
  for (let i = 0; i < 16; i++) mydocker(roots, ["run", "--rm", "busybox", "true"]);
  for (let i = 0; i < 2; i++) {
    // As with docker, the container outlives its killed client: it ends soon, and goes (--rm).
    const run = mydockerAsync(roots, ["run", "--rm", "busybox", "sh", "-c", "echo up; sleep 2"]);
    await waitFor(() => run.out().includes("up"), { what: "the container to print up" });
    run.child.kill("SIGKILL");
    await run.done;
  }
  for (let i = 0; i < 2; i++) {
    const run = mydockerAsync(roots, ["run", "--rm", "busybox", "sh", "-c", "echo up; sleep 30"]);
    await waitFor(() => run.out().includes("up"), { what: "the container to print up" });
    const shim = spawnSync("pgrep", ["-P", String(run.child.pid), "-f", "mydocker-shim"], { encoding: "utf8" }).stdout.trim();
    assert.match(shim, /^\d+$/, "the shim is a child of mydocker");
    process.kill(Number(shim), "SIGKILL");
    const r = await run.done;
    assert.equal(r.status, 137);
  }
  // The next command sweeps what kill -9 of mydocker left behind: the runtime state, and the
  // network namespace of the run whose client was killed (pinned on a file under the run root
  // until the container's end is recorded, as podman's stays until its cleanup runs).
  await waitFor(() => {
    mydocker(roots, ["ps", "-a"]);
    return stateDirs(roots.runRoot).length === 0 && ours().length === 0;
  }, { what: "the sweep to release the runtime state and the network namespaces", intervalMs: 500 });
  assert.deepEqual(ours(), [], "no mount of the engine is left on the host");
  assert.equal(mydocker(roots, ["network", "prune", "-f"]).status, 0);
  assert.deepEqual(mountsUnder(path.dirname(roots.root)), [], "network prune releases the pool");
  const left = cgroupDirs(roots.cgroupParent).flatMap((d) => fs.readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()));
  assert.deepEqual(left, [], "no container cgroup left");
});
