// attach and start -a/-i: the monitor's attach socket, through the CLI.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import { BIN, cliSuite, isRoot, mydocker, NOT_ROOT, tempRoots } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait.js";

const skip = isRoot() ? false : NOT_ROOT;
const noScript = spawnSync("which", ["script"]).status === 0 ? false : "script(1) from util-linux is needed to drive a pty";
const suite = cliSuite();
const md = suite.md;

test("start -a streams stdout and stderr from the first byte and exits with the container's status", { skip }, () => {
  const id = md("create", "busybox", "sh", "-c", "echo out; echo err >&2; exit 4").stdout.trim();
  const r = md("start", "-a", id);
  assert.deepEqual([r.status, r.stdout, r.stderr], [4, "out\n", "err\n"]);
  md("rm", id);
});

test("start -ai feeds stdin to a container created with -i, and its end closes that stdin", { skip }, () => {
  const id = md("create", "-i", "busybox", "sh", "-c", "read x; echo got:$x; cat; exit 5").stdout.trim();
  const r = mydocker(suite.roots(), ["start", "-ai", id], { input: "hello\nrest\n" });
  assert.deepEqual([r.status, r.stdout], [5, "got:hello\nrest\n"]);
  md("rm", id);
});

test("attach to a detached -i container: input goes in, output comes out, a signal is passed on", { skip }, async () => {
  const id = md("run", "-d", "-i", "busybox", "sh", "-c", "trap 'echo got TERM; exit 9' TERM; while read l; do echo in:$l; done").stdout.trim();
  const child = spawn(BIN, ["attach", id], { env: suite.roots().env, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d));
  const done = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  child.stdin.write("a\n");
  await waitFor(() => out.includes("in:a\n"), { what: "the echo of the input" });
  child.kill("SIGTERM");
  assert.equal(await done, 9);
  assert.match(out, /got TERM/);
  assert.equal(md("inspect", "-f", "{{.State.ExitCode}}", id).stdout, "9\n");
  md("rm", id);
});

test("attach refuses a stopped container in one line", { skip }, () => {
  const id = md("create", "busybox", "true").stdout.trim();
  const r = md("attach", id);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, "mydocker: You cannot attach to a stopped container, start it first\n");
  md("rm", id);
});

/**
 * attach run under script(1), so that its stdin is a terminal; keys are typed only once
 * attach has put that terminal in raw mode (it is attached by then): before that, the
 * pty's line discipline would take ctrl-q as flow control.
 */
function stdinOf(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/fd/0`);
  } catch {
    return undefined;
  }
}

function attachInPty(id: string) {
  return inPty(`attach ${id}`);
}

/** mydocker ARGS (no quoting needed) under script(1); keys typed once it made that terminal raw. */
function inPty(args: string) {
  const child = spawn("script", ["-qefc", `${BIN} ${args}`, "/dev/null"], { env: suite.roots().env, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d));
  child.stderr.on("data", (d: Buffer) => (out += d));
  const done = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const raw = () => {
    // bin/mydocker execs node, whose command line names the command line's bundle, not BIN.
    const pids = spawnSync("pgrep", ["-f", args], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    const tty = pids.map((pid) => stdinOf(Number(pid))).find((l) => l?.startsWith("/dev/pts/"));
    return tty !== undefined && / -icanon /.test(spawnSync("stty", ["-F", tty, "-a"], { encoding: "utf8" }).stdout.replace(/\n/g, " "));
  };
  return {
    out: () => out,
    done,
    async type(keys: string): Promise<void> {
      await waitFor(raw, { what: "attach to put its terminal in raw mode" });
      child.stdin.write(keys);
    },
  };
}

test("attach -it through a real pty: keys reach the shell, ctrl-p ctrl-q detaches and leaves it running", { skip: skip || noScript }, async () => {
  const id = md("run", "-dit", "busybox", "sh").stdout.trim();
  const first = attachInPty(id);
  await first.type("echo marker-$((6*7))\n");
  await waitFor(() => first.out().includes("marker-42"), { what: "the shell's output" });
  await first.type("\x10\x11");
  assert.equal(await first.done, 0, first.out());
  assert.equal(md("inspect", "-f", "{{.State.Running}}", id).stdout, "true\n", "ctrl-p ctrl-q left it running");
  const second = attachInPty(id);
  await second.type("exit 3\n");
  assert.equal(await second.done, 3, second.out());
  md("rm", id);
});

test("exec -it through a real pty: --detach-keys (and ctrl-p ctrl-q) leave the process running; without them its exit status is ours", { skip: skip || noScript }, async () => {
  const id = md("run", "-d", "--network", "none", "busybox", "sleep", "300").stdout.trim();
  const shells = () => md("exec", id, "ps", "-o", "args").stdout.split("\n").filter((l) => l === "sh").length;
  const since = String(Math.floor(Date.now() / 1000) - 1);
  const first = inPty(`exec -it --detach-keys ctrl-a,d ${id} sh`);
  await first.type("echo marker-$((6*7)) $TERM\n");
  await waitFor(() => first.out().includes("marker-42 xterm"), { what: "the shell's output" });
  await first.type("\x01d");
  assert.equal(await first.done, 0, first.out());
  assert.match(first.out(), /read escape sequence/);
  assert.equal(shells(), 1, "the detached shell runs on");
  const second = inPty(`exec -it ${id} sh`);
  await second.type("echo two\n");
  await waitFor(() => second.out().includes("two"), { what: "the second shell's output" }).catch((e: Error) => assert.fail(`${e.message}: ${JSON.stringify(second.out())}`));
  await second.type("\x10\x11");
  assert.equal(await second.done, 0, second.out());
  assert.equal(shells(), 2, "ctrl-p ctrl-q left the second one running too");
  const third = inPty(`exec -it ${id} sh`);
  await third.type("exit 3\n");
  assert.equal(await third.done, 3, third.out());
  assert.equal(shells(), 2);
  // The exec's monitor records each end, also of the shells whose client detached.
  const shellPids = md("exec", id, "ps", "-o", "pid,args").stdout.split("\n").map((l) => l.trim().split(/\s+/)).filter((f) => f[1] === "sh" && f.length === 2).map((f) => f[0]!);
  assert.equal(shellPids.length, 2);
  // An interactive shell ignores SIGTERM.
  assert.equal(md("exec", id, "kill", "-9", ...shellPids).status, 0);
  const died = () => md("events", "--since", since, "--until", String(Math.ceil(Date.now() / 1000) + 1), "--filter", "event=exec_die", "--format", "{{.Actor.Attributes.exitCode}}").stdout.split("\n").filter(Boolean).sort();
  // The other execs (ps, kill) ended with 0.
  const shellEnds = () => died().filter((code) => code !== "0");
  await waitFor(() => shellEnds().length >= 3, { what: "exec_die of the detached shells" });
  assert.deepEqual(shellEnds(), ["137", "137", "3"]);
  const bad = md("exec", "-it", "--detach-keys", "ctrl-1", id, "sh");
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /invalid detach keys "ctrl-1"/);
  md("rm", "-f", id);
});

test("start -a works where the attach socket's path is longer than a unix socket address holds", { skip }, () => {
  const long = tempRoots(`mydocker-test-${"x".repeat(80)}-`);
  try {
    assert.ok(Buffer.byteLength(long.runRoot) + 72 > 107, "the socket path is too long for sun_path");
    const id = mydocker(long, ["create", "busybox", "sh", "-c", "echo through; exit 6"]).stdout.trim();
    const r = mydocker(long, ["start", "-a", id]);
    assert.deepEqual([r.status, r.stdout], [6, "through\n"], r.stderr);
  } finally {
    long.cleanup();
  }
});
