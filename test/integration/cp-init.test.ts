// docker cp both ways (running and stopped containers, tar streams, symlinks that must not
// lead to the host) and --init (zombies reaped, signals passed on), through the CLI.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BIN, isRoot, mydocker, NOT_ROOT, tempRoots, type Roots } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait.js";

const skip = isRoot() ? false : NOT_ROOT;
let roots: Roots;
let host: string;
const md = (...args: string[]) => mydocker(roots, args);

before(() => {
  if (skip) return;
  roots = tempRoots();
  host = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-cp-"));
  assert.equal(md("run", "--rm", "busybox", "true").status, 0);
});
after(() => {
  roots?.cleanup();
  if (host) fs.rmSync(host, { recursive: true, force: true });
});

function mountsOf(root: string): string[] {
  return fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => l.includes(root));
}

test("cp out of a running container: a directory, a file under a new name, the contents of a directory, a tar stream", { skip }, async () => {
  const id = md("run", "-d", "busybox", "sh", "-c", "mkdir -p /data/sub && echo hello > /data/sub/f && ln -s /etc/passwd /data/link && sleep 60").stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  await waitFor(() => md("exec", id, "test", "-e", "/data/link").status === 0, { what: "the container to make its files" });
  const out = path.join(host, "out");
  fs.mkdirSync(out);
  assert.equal(md("cp", `${id.slice(0, 12)}:/data`, out).status, 0);
  assert.equal(fs.readFileSync(path.join(out, "data/sub/f"), "utf8"), "hello\n");
  assert.equal(fs.readlinkSync(path.join(out, "data/link")), "/etc/passwd", "a symlink is copied as a link");
  assert.equal(md("cp", `${id}:/data/sub/f`, path.join(out, "renamed")).status, 0);
  assert.equal(fs.readFileSync(path.join(out, "renamed"), "utf8"), "hello\n");
  assert.equal(md("cp", `${id}:/data/.`, path.join(out, "contents")).status, 0);
  assert.deepEqual(fs.readdirSync(path.join(out, "contents")).sort(), ["link", "sub"]);
  const stream = spawnSync(`${BIN} cp ${id}:/data/sub - | tar -t`, { shell: true, env: roots.env, encoding: "utf8" });
  assert.deepEqual(stream.stdout.trim().split("\n").sort(), ["sub/", "sub/f"]);
  const missing = md("cp", `${id}:/nope`, out);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^mydocker: Could not find the file \/nope in container \S+\n$/);
  md("rm", "-f", id);
});

test("cp into a running container: ownership like docker (root, or kept with -a), renames, a tar on stdin", { skip }, () => {
  const id = md("run", "-d", "busybox", "sleep", "60").stdout.trim();
  const src = path.join(host, "in");
  fs.mkdirSync(path.join(src, "dir/inner"), { recursive: true });
  fs.writeFileSync(path.join(src, "a.txt"), "one\n");
  fs.writeFileSync(path.join(src, "dir/inner/b"), "two\n");
  fs.chownSync(path.join(src, "a.txt"), 1234, 4321);
  assert.equal(md("cp", path.join(src, "a.txt"), `${id}:/tmp/`).status, 0);
  assert.equal(md("exec", id, "stat", "-c", "%u:%g %s", "/tmp/a.txt").stdout, "0:0 4\n");
  assert.equal(md("cp", "-a", path.join(src, "a.txt"), `${id}:/tmp/kept`).status, 0);
  assert.equal(md("exec", id, "stat", "-c", "%u:%g", "/tmp/kept").stdout, "1234:4321\n");
  assert.equal(md("cp", path.join(src, "dir"), `${id}:/tmp/newdir`).status, 0);
  assert.equal(md("exec", id, "cat", "/tmp/newdir/inner/b").stdout, "two\n");
  const tar = spawnSync("tar", ["-C", src, "-c", "a.txt"]);
  assert.equal(mydocker(roots, ["cp", "-", `${id}:/root`], { input: tar.stdout.toString("latin1") }).status, 0);
  assert.equal(md("exec", id, "cat", "/root/a.txt").stdout, "one\n");
  const dirOnFile = md("cp", path.join(src, "dir"), `${id}:/tmp/a.txt`);
  assert.equal(dirOnFile.status, 1);
  assert.match(dirOnFile.stderr, /cannot copy a directory onto a file/);
  md("rm", "-f", id);
});

test("cp resolves every path inside the container: a symlink to / leads to the container's root, not the host's", { skip }, async () => {
  const id = md("run", "-d", "busybox", "sh", "-c", "ln -s / /escape && ln -s /etc/hostname /leak && sleep 60").stdout.trim();
  await waitFor(() => md("exec", id, "test", "-L", "/leak").status === 0, { what: "the container to make its links" });
  const marker = `mydocker-cp-escape-${process.pid}`;
  fs.writeFileSync(path.join(host, marker), "x");
  assert.equal(md("cp", path.join(host, marker), `${id}:/escape/`).status, 0);
  assert.equal(fs.existsSync(path.join("/", marker)), false, "nothing was written to the host's /");
  assert.equal(md("exec", id, "cat", `/${marker}`).stdout, "x");
  const leaked = path.join(host, "leaked");
  assert.equal(md("cp", "-L", `${id}:/leak`, leaked).status, 0);
  assert.equal(fs.readFileSync(leaked, "utf8"), md("exec", id, "cat", "/etc/hostname").stdout, "-L follows the link inside the container");
  assert.notEqual(fs.readFileSync(leaked, "utf8"), fs.readFileSync("/etc/hostname", "utf8"));
  md("rm", "-f", id);
});

test("cp works on a stopped container (its layers and volumes), and leaves no mount behind", { skip }, () => {
  const id = md("run", "-v", "cpvol:/vol", "busybox", "sh", "-c", "echo layer > /file && echo volume > /vol/v").stdout.trim();
  const name = md("ps", "-alq").stdout.trim();
  assert.equal(md("inspect", "-f", "{{.State.Status}}", name).stdout, "exited\n", id);
  const out = path.join(host, "stopped");
  fs.mkdirSync(out);
  assert.equal(md("cp", `${name}:/file`, out).status, 0);
  assert.equal(md("cp", `${name}:/vol/v`, out).status, 0);
  assert.equal(fs.readFileSync(path.join(out, "file"), "utf8"), "layer\n");
  assert.equal(fs.readFileSync(path.join(out, "v"), "utf8"), "volume\n");
  fs.writeFileSync(path.join(out, "new"), "added while stopped\n");
  assert.equal(md("cp", path.join(out, "new"), `${name}:/new`).status, 0);
  const back = spawnSync(`${BIN} cp ${name}:/new - | tar -xO`, { shell: true, env: roots.env, encoding: "utf8" });
  assert.equal(back.stdout, "added while stopped\n");
  const again = md("run", "--rm", "-v", "cpvol:/vol", "busybox", "cat", "/vol/v");
  assert.equal(again.stdout, "volume\n");
  assert.deepEqual(mountsOf(roots.root), [], "no mount of the engine is left on the host");
  md("rm", "-f", name);
  md("volume", "rm", "cpvol");
});

test("cps at the same time over a stopped container: each overlay keeps its own work directory", { skip }, async () => {
  // Each cp over a stopped container mounts its files as an overlay. Overlayfs empties its
  // work directory at each mount: had they shared one, every cp below would take the work
  // directory from under the cp still writing, whose copy-up of /etc then fails.
  const name = "cp-together";
  assert.equal(md("create", "--name", name, "busybox").status, 0);
  const dir = path.join(roots.root, "containers", md("inspect", "-f", "{{.Id}}", name).stdout.trim());
  const entries = fs.readdirSync(dir).sort();
  const src = path.join(host, "together");
  fs.mkdirSync(path.join(src, "etc"), { recursive: true });
  fs.writeFileSync(path.join(src, "a-first"), "first\n");
  fs.writeFileSync(path.join(src, "etc/from-cp"), "second\n");
  // A file in the image's /etc is copied up through the work directory; one at / is not.
  const archive = spawnSync("tar", ["-c", "-f", "-", "-C", src, "a-first", "etc/from-cp"]).stdout;
  const writer = spawn(BIN, ["cp", "-", `${name}:/`], { env: roots.env, stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  writer.stderr.on("data", (d: Buffer) => (stderr += d));
  const done = new Promise<number | null>((resolve) => writer.on("close", resolve));
  // The first entry: a header and one block of data.
  writer.stdin.write(archive.subarray(0, 1024));
  await waitFor(() => md("cp", `${name}:/a-first`, "-").status === 0, { what: "the first file of the cp still running" });
  writer.stdin.end(archive.subarray(1024));
  assert.equal(await done, 0, stderr);
  assert.equal(spawnSync(`${BIN} cp ${name}:/etc/from-cp - | tar -xO`, { shell: true, env: roots.env, encoding: "utf8" }).stdout, "second\n");
  assert.deepEqual(fs.readdirSync(dir).sort(), entries, "no work directory of a cp is left");
  assert.deepEqual(mountsOf(roots.root), []);
  md("rm", "-f", name);
});

test("--init: PID 1 is mydocker-init, orphans are reaped, stop's SIGTERM reaches the command", { skip }, async () => {
  const ps = md("run", "--rm", "--init", "busybox", "ps", "-o", "pid,args");
  assert.match(ps.stdout, /^\s*1 \/sbin\/mydocker-init -- ps -o pid,args$/m);
  const orphan = "(sleep 0.3 &); exec sleep 60";
  const withInit = md("run", "-d", "--init", "busybox", "sh", "-c", orphan).stdout.trim();
  const without = md("run", "-d", "busybox", "sh", "-c", orphan).stdout.trim();
  const zombies = (id: string) => md("exec", id, "ps", "-o", "stat").stdout.split("\n").filter((s) => s.startsWith("Z")).length;
  await waitFor(() => zombies(without) === 1, { what: "the orphan to become a zombie" });
  assert.equal(zombies(withInit), 0, "with --init the orphan was reaped (without it, it stays a zombie: sleep as PID 1 never reaps)");
  const t0 = Date.now();
  assert.equal(md("stop", "-t", "10", withInit).status, 0);
  // Below the 10 s after which SIGKILL would come, with room for a loaded machine.
  assert.ok(Date.now() - t0 < 9000, "sleep got SIGTERM through the init instead of waiting for SIGKILL");
  assert.equal(md("inspect", "-f", "{{.State.ExitCode}} {{.HostConfig.Init}}", withInit).stdout, "143 true\n");
  const missing = md("run", "--rm", "--init", "busybox", "no-such-command");
  assert.equal(missing.status, 127);
  assert.match(missing.stderr, /mydocker-init: exec no-such-command: No such file or directory/);
  md("rm", "-f", withInit, without);
});
