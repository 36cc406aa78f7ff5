// What the engine writes on the host, and where: modes that do not depend on the caller's
// umask, output paths that are written into rather than replaced when they are not plain
// files, and options that would reach a host path refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BIN, isRoot, mydocker, NOT_ROOT, tempRoots, type Result, type Roots } from "../helpers/cli.js";

const skip = isRoot() ? false : NOT_ROOT;

/** The CLI run with umask 000, as a careless caller (a cron job, a service manager) might. */
function withUmask000(roots: Roots, args: string[]): Result {
  const r = spawnSync("sh", ["-c", 'umask 000; exec "$@"', "sh", BIN, ...args], { env: roots.env, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const modeOf = (p: string) => (fs.statSync(p).mode & 0o777).toString(8);

test("a root made beforehand with 0755 is tightened; the database is 0600 under umask 000", { skip }, () => {
  const roots = tempRoots();
  try {
    fs.mkdirSync(roots.root, { recursive: true, mode: 0o755 });
    fs.chmodSync(roots.root, 0o755);
    const r = withUmask000(roots, ["run", "--name", "modes", "-e", "SECRET=x", "busybox", "sh", "-c", "umask; stat -c %a /etc/passwd /"]);
    assert.equal(r.status, 0, r.stderr);
    // The container gets the umask runc gives, and the image's files the modes they were made with.
    assert.equal(r.stdout, "0022\n644\n755\n");
    assert.equal(modeOf(roots.root), "700");
    for (const f of fs.readdirSync(roots.root).filter((n) => n.startsWith("mydocker.db"))) {
      assert.equal(modeOf(path.join(roots.root, f)), "600", f);
    }
    assert.equal(modeOf(path.join(roots.root, "containers")), "700");
  } finally {
    roots.cleanup();
  }
});

test("save -o and export -o write into a FIFO or device instead of replacing it", { skip }, async () => {
  const roots = tempRoots();
  try {
    assert.equal(mydocker(roots, ["create", "--name", "exported", "busybox", "true"]).status, 0);
    const fifo = path.join(path.dirname(roots.root), "out.fifo");
    for (const args of [["save", "-o", fifo, "busybox"], ["export", "-o", fifo, "exported"]]) {
      spawnSync("mkfifo", [fifo]);
      const reader = spawn("sh", ["-c", 'wc -c < "$1"', "sh", fifo], { stdio: ["ignore", "pipe", "inherit"] });
      let count = "";
      reader.stdout.on("data", (d: Buffer) => (count += d));
      const done = new Promise((resolve) => reader.on("close", resolve));
      const r = mydocker(roots, args);
      await done;
      assert.equal(r.status, 0, r.stderr);
      assert.ok(Number(count) > 10_000, `${args[0]} wrote ${count.trim()} bytes into the FIFO`);
      assert.ok(fs.lstatSync(fifo).isFIFO(), `${args[0]} replaced the FIFO`);
      fs.rmSync(fifo);
    }
    const devNull = fs.statSync("/dev/null");
    assert.equal(mydocker(roots, ["save", "-o", "/dev/null", "busybox"]).status, 0);
    const after = fs.statSync("/dev/null");
    assert.ok(after.isCharacterDevice() && after.ino === devNull.ino, "/dev/null is still the device it was");
  } finally {
    roots.cleanup();
  }
});

test("cp from a container writes a file into a FIFO or device instead of replacing it", { skip }, async () => {
  const roots = tempRoots();
  try {
    assert.equal(mydocker(roots, ["run", "--network", "none", "--name", "copied", "busybox", "sh", "-c", "echo localhost > /copied"]).status, 0);
    const fifo = path.join(path.dirname(roots.root), "cp.fifo");
    spawnSync("mkfifo", [fifo]);
    const reader = spawn("cat", [fifo], { stdio: ["ignore", "pipe", "inherit"] });
    let got = "";
    reader.stdout.on("data", (d: Buffer) => (got += d));
    const done = new Promise((resolve) => reader.on("close", resolve));
    const r = mydocker(roots, ["cp", "copied:/copied", fifo]);
    await done;
    assert.equal(r.status, 0, r.stderr);
    assert.equal(got, "localhost\n");
    assert.ok(fs.lstatSync(fifo).isFIFO(), "cp replaced the FIFO");
    const dir = mydocker(roots, ["cp", "copied:/etc", fifo]);
    assert.equal(dir.status, 1);
    assert.match(dir.stderr, /cannot copy the directory \/etc to .*: it is not a directory/);
    const devNull = fs.statSync("/dev/null");
    assert.equal(mydocker(roots, ["cp", "copied:/etc/hostname", "/dev/null"]).status, 0);
    const after = fs.statSync("/dev/null");
    assert.ok(after.isCharacterDevice() && after.ino === devNull.ino, "/dev/null is still the device it was");
  } finally {
    roots.cleanup();
  }
});

test("save -o replaces a regular file whole, and names the user's path when it cannot", { skip }, () => {
  const roots = tempRoots();
  try {
    assert.equal(mydocker(roots, ["run", "--rm", "busybox", "true"]).status, 0);
    const out = path.join(path.dirname(roots.root), "img.tar");
    fs.writeFileSync(out, "old contents");
    assert.equal(mydocker(roots, ["save", "-o", out, "busybox"]).status, 0);
    assert.ok(fs.statSync(out).size > 10_000);
    assert.deepEqual(fs.readdirSync(path.dirname(out)).filter((n) => n.includes(".tmp")), [], "no temporary file is left");
    const missing = path.join(os.tmpdir(), "mydocker-no-such-dir", "x.tar");
    const r = mydocker(roots, ["save", "-o", missing, "busybox"]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `mydocker: cannot write ${missing}: no such directory\n`);
  } finally {
    roots.cleanup();
  }
});

test("an empty --root or --runroot is refused instead of meaning the current directory", { skip }, () => {
  const roots = tempRoots();
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-cwd-"));
  try {
    for (const flag of ["--root", "--runroot"]) {
      const r = spawnSync(BIN, [flag, "", "ps"], { cwd, env: roots.env, encoding: "utf8" });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /directory is empty/);
    }
    assert.deepEqual(fs.readdirSync(cwd), [], "nothing was made in the current directory");
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
    roots.cleanup();
  }
});

test("tmpfs options that would bind a host path or change another mount are refused", { skip }, () => {
  const roots = tempRoots();
  try {
    for (const opt of ["bind", "rbind", "remount", "move"]) {
      const r = mydocker(roots, ["run", "--rm", "--tmpfs", `/mnt:${opt}`, "busybox", "true"]);
      assert.equal(r.status, 125, `--tmpfs /mnt:${opt}: ${r.stderr}`);
      assert.match(r.stderr, /invalid tmpfs option/);
    }
    const ok = mydocker(roots, ["run", "--rm", "--tmpfs", "/mnt:size=1m", "busybox", "sh", "-c", "grep ' /mnt ' /proc/mounts"]);
    assert.match(ok.stdout, /^tmpfs \/mnt tmpfs /, ok.stderr);
  } finally {
    roots.cleanup();
  }
});
