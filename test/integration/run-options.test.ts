// docker run's filesystem, network and command flags, and the restart, rename and
// exec --privileged commands, end to end through the command line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { BIN, cliSuite, isRoot, mydocker, mydockerAsync, NOT_ROOT } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait.js";

const skip = isRoot() ? false : NOT_ROOT;
const suite = cliSuite();
const md = suite.md;

/** A directory of the test's own, removed after it. */
function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-opts-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The mountinfo line of the container's mount at point, from a run's output of /proc/self/mountinfo. */
function mountAt(mountinfo: string, point: string): string | undefined {
  return mountinfo.split("\n").find((l) => l.split(" ")[4] === point);
}

test("--read-only: the root refuses writes; a --tmpfs and a volume under it take them", { skip }, () => {
  const r = md("run", "--rm", "--read-only", "--tmpfs", "/scratch", "-v", "rw-vol:/data", "busybox", "sh", "-c",
    "touch /x 2>&1; echo a > /scratch/f && echo a > /data/f && cat /scratch/f /data/f; grep ' / / ' /proc/self/mountinfo");
  assert.equal(r.status, 0, r.stderr);
  const [touch, a1, a2, root] = r.stdout.trimEnd().split("\n");
  assert.match(touch!, /touch: \/x: Read-only file system/);
  assert.deepEqual([a1, a2], ["a", "a"]);
  assert.match(root!, /^\S+ \S+ \S+ \/ \/ ro,/, "the root is mounted read-only");
  const plain = md("run", "--rm", "busybox", "sh", "-c", "touch /x && echo wrote");
  assert.equal(plain.stdout, "wrote\n", "without it the root is writable");
  md("volume", "rm", "rw-vol");
});

test("--tmpfs: a tmpfs with docker's flags and the given size and mode, its contents gone with the run", { skip }, () => {
  const r = md("run", "--rm", "--tmpfs", "/run:size=1m,mode=1770", "busybox", "sh", "-c",
    "cat /proc/self/mountinfo; stat -c 'mode=%a' /run; echo kept > /run/f; head -c 2000000 /dev/zero > /run/big 2>/dev/null || echo full");
  assert.equal(r.status, 0, r.stderr);
  const line = mountAt(r.stdout, "/run");
  assert.ok(line, r.stdout);
  assert.match(line, /^\S+ \S+ \S+ \/ \/run rw,nosuid,nodev,noexec\S* - tmpfs tmpfs rw,size=1024k,mode=1770$/);
  assert.match(r.stdout, /^mode=1770$/m);
  assert.match(r.stdout, /^full$/m, "the size limit holds");
  const id = md("create", "--tmpfs", "/run", "busybox", "sh", "-c", "ls /run; echo x > /run/f").stdout.trim();
  assert.equal(md("start", "-a", id).stdout, "");
  assert.equal(md("start", "-a", id).stdout, "", "a tmpfs starts empty on every start");
  md("rm", id);
});

test("--mount: bind (readonly), volume and tmpfs; a missing bind source is refused in one line", { skip }, (t) => {
  const host = tempDir(t);
  fs.writeFileSync(path.join(host, "f"), "from the host\n");
  const r = md("run", "--rm",
    "--mount", `type=bind,source=${host},target=/h,readonly`,
    "--mount", "type=volume,source=mnt-vol,target=/v",
    "--mount", "type=tmpfs,target=/t,tmpfs-size=65536",
    "busybox", "sh", "-c", "cat /h/f; touch /h/g 2>&1; echo kept > /v/f; cat /proc/self/mountinfo");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^from the host\ntouch: \/h\/g: Read-only file system\n/);
  assert.equal(fs.existsSync(path.join(host, "g")), false);
  assert.match(mountAt(r.stdout, "/h") ?? "", /^\S+ \S+ \S+ \S+ \/h ro,/);
  assert.match(mountAt(r.stdout, "/t") ?? "", / - tmpfs tmpfs rw,size=64k/);
  assert.equal(md("run", "--rm", "--mount", "source=mnt-vol,target=/v", "busybox", "cat", "/v/f").stdout, "kept\n", "the volume kept its file");
  const missing = md("run", "--rm", "--mount", `type=bind,source=${host}/nope,target=/h`, "busybox", "true");
  assert.equal(missing.status, 125);
  assert.equal(missing.stderr.trim().split("\n").length, 1, missing.stderr);
  assert.match(missing.stderr, /nope/);
  md("volume", "rm", "mnt-vol");
});

test("--network host: the host's network namespace and its loopback; the default has neither", { skip }, async (t) => {
  let got = "";
  const server = net.createServer((s) => s.on("data", (d) => {
    got += d.toString();
    s.end();
  }));
  t.after(() => server.close());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  // Run without blocking: the server answers from this process's event loop.
  const script = `readlink /proc/self/ns/net; echo hello-from-container | nc -w 5 127.0.0.1 ${port} && echo sent`;
  const host = await mydockerAsync(suite.roots(), ["run", "--rm", "--network", "host", "busybox", "sh", "-c", script]).done;
  assert.equal(host.stdout, `${fs.readlinkSync("/proc/self/ns/net")}\nsent\n`, host.stderr);
  assert.equal(got, "hello-from-container\n");
  const none = await mydockerAsync(suite.roots(), ["run", "--rm", "busybox", "sh", "-c", script]).done;
  const [ns, ...rest] = none.stdout.trimEnd().split("\n");
  assert.notEqual(ns, fs.readlinkSync("/proc/self/ns/net"));
  assert.deepEqual(rest, [], "the host's loopback is out of reach");
  assert.match(md("run", "--rm", "--network", "bridge0", "busybox", "true").stderr, /network bridge0 not found/);
});

test("--entrypoint replaces the image's entrypoint and its command; the arguments follow it", { skip }, () => {
  assert.equal(md("run", "--rm", "--entrypoint", "echo", "busybox", "a", "b").stdout, "a b\n");
  assert.equal(md("run", "--rm", "--entrypoint", "echo", "busybox").stdout, "\n", "the image's CMD (sh) is not passed to it, as docker");
  const id = md("create", "--entrypoint", "printf", "busybox", "%s-%s", "x", "y").stdout.trim();
  assert.equal(md("inspect", "-f", "{{json .Config.Entrypoint}} {{json .Config.Cmd}}", id).stdout, '["printf"] ["%s-%s","x","y"]\n');
  assert.equal(md("start", "-a", id).stdout, "x-y");
  md("rm", id);
});

test("--env-file: comments and blank lines skipped, a bare name taken from the caller, -e wins", { skip }, (t) => {
  const file = path.join(tempDir(t), "env");
  fs.writeFileSync(file, "# a comment\n\nA=from-file\n  B=two  words\nFROM_CALLER\nNOT_SET_ANYWHERE_H6\nC=x=y\n");
  const caller = { ...suite.roots(), env: { ...suite.roots().env, FROM_CALLER: "caller's" } };
  delete (caller.env as NodeJS.ProcessEnv)["NOT_SET_ANYWHERE_H6"];
  const r = mydocker(caller, ["run", "--rm", "--env-file", file, "-e", "A=from-flag", "busybox", "sh", "-c",
    'echo "[$A][$B][$C][$FROM_CALLER][${NOT_SET_ANYWHERE_H6-unset}]"']);
  assert.equal(r.stdout, "[from-flag][two  words][x=y][caller's][unset]\n", r.stderr);
  // Through the command's own first line, as a user runs it: node must not take the flag.
  const missing = spawnSync(BIN, ["run", "--rm", "--env-file", path.join(path.dirname(file), "none"), "busybox", "true"], { env: suite.roots().env, encoding: "utf8" });
  assert.equal(missing.status, 125, missing.stderr);
  assert.equal(missing.stderr, `mydocker: --env-file ${path.join(path.dirname(file), "none")}: no such file\n`);
});

test("restart: stops (SIGKILL after -t) and starts the same container again", { skip }, async () => {
  const id = md("run", "-d", "busybox", "sh", "-c", "trap '' TERM; echo run >> /runs; echo ready; while true; do sleep 0.1; done").stdout.trim();
  await waitFor(() => md("logs", id).stdout === "ready\n", { what: "the trap to be set" });
  const pid = md("inspect", "-f", "{{.State.Pid}}", id).stdout;
  const t0 = Date.now();
  const r = md("restart", "-t", "1", id);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${id}\n`, "restart prints what it was given");
  assert.ok(Date.now() - t0 >= 900, "it waited the -t second before SIGKILL");
  assert.equal(md("inspect", "-f", "{{.State.Status}}", id).stdout, "running\n");
  assert.notEqual(md("inspect", "-f", "{{.State.Pid}}", id).stdout, pid, "a new process");
  await waitFor(() => md("exec", id, "cat", "/runs").stdout === "run\nrun\n", { what: "the second run on the same filesystem" });
  assert.equal(md("stop", "-t", "0", id).status, 0);
  assert.equal(md("restart", id).status, 0, "a stopped container is started");
  assert.equal(md("inspect", "-f", "{{.State.Running}}", id).stdout, "true\n");
  md("rm", "-f", id);
});

test("rename: the new name finds the container, the old one no longer; taken and invalid names refused", { skip }, () => {
  const id = md("create", "--name", "before", "busybox", "true").stdout.trim();
  md("create", "--name", "taken", "busybox", "true");
  assert.equal(md("rename", "before", "after").status, 0);
  assert.equal(md("inspect", "-f", "{{.Name}} {{.Id}}", "after").stdout, `/after ${id}\n`);
  assert.match(md("inspect", "before").stderr, /No such object: before/);
  assert.match(md("ps", "-a", "--format", "{{.Names}}").stdout, /^after$/m);
  const taken = md("rename", "after", "taken");
  assert.equal(taken.status, 1);
  assert.match(taken.stderr, /is already in use/);
  const bad = md("rename", id.slice(0, 12), "bad name");
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /Invalid container name \(bad name\)/);
  assert.equal(md("inspect", "-f", "{{.Name}}", id).stdout, "/after\n", "a refused rename changes nothing");
  md("rm", "after", "taken");
});

test("exec --privileged gives the process every capability, as docker; without it, the container's", { skip }, () => {
  const held = /^CapPrm:\s*(\S+)$/m.exec(fs.readFileSync("/proc/self/status", "utf8"))![1];
  const id = md("run", "-d", "--cap-drop", "ALL", "busybox", "sleep", "60").stdout.trim();
  const caps = (...flags: string[]) => md("exec", ...flags, id, "grep", "CapEff", "/proc/self/status").stdout.trim();
  assert.equal(caps(), "CapEff:\t0000000000000000");
  assert.equal(caps("--privileged"), `CapEff:\t${held}`);
  assert.equal(caps(), "CapEff:\t0000000000000000", "the container itself is unchanged");
  md("rm", "-f", id);
});
