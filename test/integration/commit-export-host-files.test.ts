// commit and export read a container's files only: a running container that swaps a
// directory and a symlink to a host directory (renameat2 RENAME_EXCHANGE in a loop) gets
// none of the host's bytes into a committed layer or an export stream; the container is
// frozen while its files are read (docker's default) and running after; run -u reads
// /etc/passwd inside the image, whatever symlink leads to it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { makeBusyboxRootfs } from "../helpers/busybox-rootfs.js";
import { BIN, cliSuite, isRoot, mydockerAsync, NOT_ROOT } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait.js";

const suite = cliSuite();
const md = suite.md;
let work = "";
let swapBuilt: string | false = "not built yet";

const SWAP_C = `
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
int main(int argc, char **argv) {
  if (argc != 3) return 2;
  for (;;)
    if (renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) != 0) {
      perror("renameat2");
      return 1;
    }
}
`;

// Waits for the directory argv[1] to appear, then moves it aside and puts a symlink to
// argv[2] in its place: a container sharing a volume that another one is filling.
const PLANT_C = `
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv) {
  struct stat st;
  char aside[4096];
  if (argc != 3 || snprintf(aside, sizeof aside, "%s.aside", argv[1]) >= (int)sizeof aside) return 2;
  for (;;)
    if (lstat(argv[1], &st) == 0 && S_ISDIR(st.st_mode)) {
      if (rename(argv[1], aside) != 0 || symlink(argv[2], argv[1]) != 0) return perror("plant"), 1;
      return 0;
    }
}
`;

before(() => {
  if (!isRoot()) return;
  work = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-hostfiles-"));
  fs.mkdirSync(path.join(work, "bin"));
  for (const [name, source] of [["swap", SWAP_C], ["plant", PLANT_C]]) {
    fs.writeFileSync(path.join(work, `${name}.c`), source!);
    const cc = spawnSync("cc", ["-static", "-O2", "-o", path.join(work, "bin", name!), path.join(work, `${name}.c`)], { encoding: "utf8" });
    if (cc.error || cc.status !== 0) {
      swapBuilt = `cannot build a static helper with cc (apt-get install gcc libc6-dev): ${cc.error?.message ?? cc.stderr}`;
      return;
    }
  }
  swapBuilt = false;
});
after(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** A host directory of files holding a random token, which no archive may ever contain. */
function sentinel(): { dir: string; token: string } {
  const token = `SENTINEL-${crypto.randomBytes(16).toString("hex")}\n`;
  const dir = fs.mkdtempSync(path.join(work, "sentinel-"));
  for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(dir, `f${String(i).padStart(2, "0")}`), token);
  return { dir, token };
}

/** Regular files under dir (symlinks not followed) that hold the token. */
function filesWith(dir: string, token: string): string[] {
  const hits: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    if (entry.isFile() && fs.readFileSync(p).includes(token)) hits.push(p);
  }
  return hits;
}

/** A container swapping /d (files as long as the token) and /l (a symlink to the sentinel) without pause. */
function swapper(s: { dir: string; token: string }): string {
  const script = 'mkdir /d && for i in $(seq -w 0 49); do printf %s "$FILL" > /d/f$i; done && ln -s "$SENT" /l && exec /h/swap /d /l';
  const r = md("run", "-d", "-v", `${path.join(work, "bin")}:/h:ro`, "-e", `FILL=${"x".repeat(s.token.length)}`, "-e", `SENT=${s.dir}`, "busybox", "sh", "-c", script);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

function exportOf(id: string) {
  return spawnSync(BIN, ["export", id], { env: suite.roots().env, maxBuffer: 1 << 28, timeout: 60_000 });
}

function running(id: string): boolean {
  return md("inspect", "-f", "{{.State.Running}} {{.State.Paused}}", id).stdout.trim() === "true false";
}

test("commit and export of a container swapping a directory and a symlink to the host never read the host's files", { skip: isRoot() ? false : NOT_ROOT }, (t) => {
  if (swapBuilt) return t.skip(swapBuilt);
  const s = sentinel();
  const id = swapper(s);
  const deadline = Date.now() + 20_000;
  let commits = 0;
  let exports = 0;
  for (let i = 0; i < 20 && Date.now() < deadline; i++) {
    const c = md("commit", id);
    assert.equal(c.status, 0, c.stderr);
    commits++;
    const x = exportOf(id);
    assert.equal(x.status, 0, x.stderr.toString());
    assert.ok(x.stdout.length > 100_000, "an export with the image's files");
    assert.ok(!x.stdout.includes(s.token.trim()), `export ${i} holds the host's file`);
    exports++;
  }
  assert.ok(running(id), "the swapper still runs (renameat2 works on overlayfs), unpaused");
  assert.deepEqual(filesWith(path.join(suite.roots().root, "image"), s.token.trim()), [], `a committed layer holds the host's file (${commits} commits)`);
  assert.ok(commits >= 5 && exports >= 5, `${commits} commits, ${exports} exports in 20 s`);
  md("rm", "-f", id);
});

/** Whether the container's cgroup is frozen (or freezing), as the kernel says: v1's freezer.state, v2's cgroup.events. */
function frozen(pid: number): boolean {
  const v2Root = fs.existsSync("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
  for (const line of fs.readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n")) {
    const [, controllers, cgroup] = line.split(":");
    const file = controllers === "freezer" ? `/sys/fs/cgroup/freezer${cgroup}/freezer.state` : controllers === "" ? `${v2Root}${cgroup}/cgroup.events` : undefined;
    // A hierarchy where the container has no cgroup of its own has no such file (the root's).
    const text = file === undefined || !fs.existsSync(file) ? undefined : fs.readFileSync(file, "utf8");
    if (text !== undefined && (/^FREEZING|^FROZEN/.test(text) || /^frozen 1$/m.test(text))) return true;
  }
  return false;
}

/** Runs mydocker args, sampling the container's freezer while it runs: whether it was ever seen frozen. */
async function frozenDuring(pid: number, args: string[]): Promise<boolean> {
  const run = mydockerAsync(suite.roots(), args);
  let finished = false;
  void run.done.then(() => (finished = true));
  let seen = false;
  while (!finished) {
    seen ||= frozen(pid);
    await new Promise((r) => setTimeout(r, 2));
  }
  const r = await run.done;
  assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
  return seen;
}

test("commit freezes a running container while it reads it and leaves it running; --pause=false does not; a paused one stays paused", { skip: isRoot() ? false : NOT_ROOT }, async () => {
  // A layer big enough that the read takes a while (the sampling sees the freeze).
  const id = md("run", "-d", "busybox", "sh", "-c", "head -c 33554432 /dev/urandom > /big && touch /ready && while true; do sleep 0.05; done").stdout.trim();
  await waitFor(() => md("exec", id, "test", "-f", "/ready").status === 0, { what: "the container's big file", timeoutMs: 30_000 });
  const pid = Number(md("inspect", "-f", "{{.State.Pid}}", id).stdout.trim());
  assert.equal(frozen(pid), false);

  assert.equal(await frozenDuring(pid, ["commit", id, "paused-commit"]), true, "frozen while commit reads it");
  assert.equal(frozen(pid), false, "thawed after the commit");
  assert.ok(running(id), "running, not paused, after the commit");

  assert.equal(await frozenDuring(pid, ["commit", "--pause=false", id]), false, "--pause=false does not freeze");
  assert.equal(await frozenDuring(pid, ["commit", "-p=false", id]), false, "-p=false does not freeze");
  assert.equal(await frozenDuring(pid, ["export", "-o", path.join(work, "export.tar"), id]), true, "frozen while export reads it");
  assert.ok(running(id), "running after the export");

  assert.equal(md("pause", id).status, 0);
  assert.equal(md("commit", id).status, 0);
  assert.equal(frozen(pid), true, "a container the user paused stays paused");
  assert.equal(md("inspect", "-f", "{{.State.Paused}}", id).stdout.trim(), "true");
  assert.equal(md("unpause", id).status, 0);
  md("rm", "-f", id);
});

test("commit or export stopped by ^C or a closed pipe leave the container running, not frozen", { skip: isRoot() ? false : NOT_ROOT }, async () => {
  const id = md("run", "-d", "busybox", "sh", "-c", "head -c 67108864 /dev/urandom > /big && touch /ready && while true; do sleep 0.05; done").stdout.trim();
  await waitFor(() => md("exec", id, "test", "-f", "/ready").status === 0, { what: "the container's big file", timeoutMs: 30_000 });
  const pid = Number(md("inspect", "-f", "{{.State.Pid}}", id).stdout.trim());

  for (const args of [["commit", id], ["export", "-o", path.join(work, "interrupted.tar"), id]]) {
    const run = mydockerAsync(suite.roots(), args);
    await waitFor(() => frozen(pid), { what: `the freeze during ${args[0]}`, intervalMs: 2 });
    run.child.kill("SIGINT");
    const r = await run.done;
    assert.equal(r.status, 130, `${args[0]}: ${r.stderr}`);
    assert.match(r.stderr, /interrupted by SIGINT/);
    assert.equal(frozen(pid), false, `thawed after an interrupted ${args[0]}`);
  }

  // A reader that goes away after the first bytes: the export fails on its closed pipe.
  const run = mydockerAsync(suite.roots(), ["export", id]);
  await new Promise<void>((resolve) => run.child.stdout.once("data", () => resolve()));
  run.child.stdout.destroy();
  await run.done;
  assert.equal(frozen(pid), false, "thawed after the reader went away");
  assert.ok(running(id));
  md("rm", "-f", id);
});

test("run -u reads /etc/passwd inside the image: a symlink to a host directory finds no host user, a symlink inside the image is followed", { skip: isRoot() ? false : NOT_ROOT }, async () => {
  const host = fs.mkdtempSync(path.join(work, "host-etc-"));
  fs.writeFileSync(path.join(host, "passwd"), "hostonly:x:4242:4242::/:/bin/sh\n");
  fs.writeFileSync(path.join(host, "group"), "hostonly:x:4242:\n");

  const toHost = fs.mkdtempSync(path.join(work, "rootfs-"));
  fs.symlinkSync(host, path.join(toHost, "etc"));
  spawnSync("tar", ["-C", toHost, "-cf", path.join(work, "to-host.tar"), "."]);
  assert.equal(md("import", path.join(work, "to-host.tar"), "etc-to-host").status, 0);
  const r = md("run", "--rm", "-u", "hostonly", "etc-to-host", "/bin/true");
  assert.equal(r.status, 125, r.stderr);
  assert.match(r.stderr, /unable to find user hostonly/);
  assert.match(md("run", "--rm", "-u", "hostonly:hostonly", "etc-to-host", "/bin/true").stderr, /unable to find user hostonly/);

  const inside = fs.mkdtempSync(path.join(work, "rootfs-"));
  makeBusyboxRootfs(inside);
  fs.writeFileSync(path.join(inside, "etc/passwd.real"), "imguser:x:4321:4321::/:/bin/sh\n");
  fs.rmSync(path.join(inside, "etc/passwd"));
  fs.symlinkSync("/etc/../etc/passwd.real", path.join(inside, "etc/passwd"));
  fs.symlinkSync(path.join(host, "passwd"), path.join(inside, "etc/hostlink"));
  spawnSync("tar", ["-C", inside, "-cf", path.join(work, "inside.tar"), "."]);
  assert.equal(md("import", path.join(work, "inside.tar"), "passwd-link").status, 0);
  const ok = md("run", "--rm", "-u", "imguser", "passwd-link", "id", "-u");
  assert.equal(ok.stdout, "4321\n", ok.stderr);

  // exec -u reads the running container's files the same way.
  const id = md("run", "-d", "passwd-link", "sh", "-c", "ln -sf /etc/hostlink /etc/passwd && touch /tmp/ready && sleep 60").stdout.trim();
  await waitFor(() => md("exec", id, "test", "-f", "/tmp/ready").status === 0, { what: "/etc/passwd linked to the host's file" });
  const x = md("exec", "-u", "hostonly", id, "true");
  assert.equal(x.status, 126, x.stderr);
  assert.match(x.stderr, /unable to find user hostonly/);
  md("rm", "-f", id);
});

test("filling a volume from the image never writes through a symlink another container plants in it meanwhile", { skip: isRoot() ? false : NOT_ROOT }, async (t) => {
  if (swapBuilt) return t.skip(swapBuilt);
  const rootfs = fs.mkdtempSync(path.join(work, "rootfs-"));
  makeBusyboxRootfs(rootfs);
  fs.mkdirSync(path.join(rootfs, "srv/d"), { recursive: true });
  for (let i = 0; i < 2000; i++) fs.writeFileSync(path.join(rootfs, `srv/d/f${i}`), "image file\n");
  spawnSync("tar", ["-C", rootfs, "-cf", path.join(work, "many.tar"), "."]);
  assert.equal(md("import", path.join(work, "many.tar"), "many").status, 0);
  const host = fs.mkdtempSync(path.join(work, "host-dir-"));

  assert.equal(md("volume", "create", "shared").status, 0);
  const planter = md("run", "-d", "-v", "shared:/v", "-v", `${path.join(work, "bin")}:/h:ro`, "many", "sh", "-c", `/h/plant /v/d ${host} && touch /v/planted && sleep 60`);
  assert.equal(planter.status, 0, planter.stderr);
  const filler = md("run", "--rm", "-v", "shared:/srv", "many", "true");
  assert.deepEqual(fs.readdirSync(host), [], "nothing written into the host's directory");
  if (filler.status !== 0) assert.match(filler.stderr, /changed meanwhile/);
  await waitFor(() => md("exec", planter.stdout.trim(), "test", "-f", "/v/planted").status === 0, { what: "the planted symlink" });
  md("rm", "-f", planter.stdout.trim());
});
