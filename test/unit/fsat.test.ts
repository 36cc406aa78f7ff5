import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { isErrno } from "../../src/util/errors.js";
import * as fsat from "../../src/util/fsat.js";
import { PrefetchedFiles } from "../../src/util/prefetched-files.js";

describe("fsat addon (*at syscalls relative to a directory fd)", () => {
  let tmp: string;
  let root: string;
  let outside: string;
  let rootFd: number;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fsat-"));
    root = path.join(tmp, "root");
    outside = path.join(tmp, "outside");
    fs.mkdirSync(root);
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, "secret"), "host");
    fs.symlinkSync(outside, path.join(root, "abs"));
    fs.symlinkSync("../../outside", path.join(root, "rel"));
    fs.symlinkSync("/", path.join(root, "slash"));
    rootFd = fsat.openDir(root);
  });
  after(() => {
    fs.closeSync(rootFd);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("RESOLVE_IN_ROOT keeps absolute and .. symlinks inside the root", () => {
    const resolve = fsat.RESOLVE_IN_ROOT | fsat.RESOLVE_NO_MAGICLINKS;
    for (const link of ["abs/secret", "rel/secret"]) {
      assert.throws(
        () => fsat.openat2(rootFd, link, fs.constants.O_RDONLY, 0, resolve),
        (e: unknown) => isErrno(e, "ENOENT") && (e as NodeJS.ErrnoException).syscall === "openat2",
      );
    }
    const fd = fsat.openat2(rootFd, "slash/made", fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600, resolve);
    fs.closeSync(fd);
    // "/" resolved to the root itself: the file is in the root, not in the host directory.
    assert.ok(fs.existsSync(path.join(root, "made")));
    assert.deepEqual(fs.readdirSync(outside), ["secret"]);
  });

  it("RESOLVE_NO_SYMLINKS refuses any symlink with ELOOP", () => {
    assert.throws(() => fsat.openat2(rootFd, "abs", fs.constants.O_RDONLY, 0, fsat.RESOLVE_NO_SYMLINKS), (e: unknown) => isErrno(e, "ELOOP"));
  });

  it("exports the kernel's RESOLVE_* values", () => {
    const dirFd = fsat.openat2(rootFd, ".", fs.constants.O_RDONLY | fs.constants.O_DIRECTORY, 0, fsat.RESOLVE_BENEATH | fsat.RESOLVE_NO_XDEV);
    fs.closeSync(dirFd);
    assert.throws(() => fsat.openat2(rootFd, "..", fs.constants.O_RDONLY, 0, fsat.RESOLVE_BENEATH), (e: unknown) => isErrno(e, "EXDEV"));
  });

  it("mknodat makes a fifo in the directory and refuses more than one component", () => {
    fsat.mknodat(rootFd, "fifo", fs.constants.S_IFIFO | 0o600, 0, 0);
    assert.ok(fs.lstatSync(path.join(root, "fifo")).isFIFO());
    assert.throws(() => fsat.mknodat(rootFd, "abs/fifo", fs.constants.S_IFIFO | 0o600, 0, 0), (e: unknown) => isErrno(e, "EINVAL"));
    assert.throws(() => fsat.mknodat(rootFd, "..", fs.constants.S_IFIFO | 0o600, 0, 0), (e: unknown) => isErrno(e, "EINVAL"));
    assert.deepEqual(fs.readdirSync(outside), ["secret"]);
  });

  it("xattrs of a name, of the directory itself, never through a symlink", (t) => {
    fs.writeFileSync(path.join(root, "f"), "");
    try {
      fsat.lsetxattrat(rootFd, "f", "user.test", Buffer.from("v1"));
    } catch (e) {
      if (isErrno(e, "EOPNOTSUPP")) return t.skip(`${os.tmpdir()} has no user xattrs`);
      throw e;
    }
    assert.deepEqual(fsat.lgetxattrat(rootFd, "f", "user.test"), Buffer.from("v1"));
    assert.ok(fsat.llistxattrat(rootFd, "f").includes("user.test"));
    fsat.lsetxattrat(rootFd, "", "user.dir", Buffer.from("d"));
    assert.deepEqual(fsat.lgetxattrat(rootFd, "", "user.dir"), Buffer.from("d"));
    // user.* is not allowed on a symlink; what matters is that the target is untouched.
    assert.throws(() => fsat.lsetxattrat(rootFd, "abs", "user.test", Buffer.from("x")));
    assert.ok(!fsat.llistxattrat(rootFd, "abs").includes("user.test"));
    const outFd = fsat.openDir(outside);
    try {
      assert.deepEqual(fsat.llistxattrat(outFd, "").filter((n) => n.startsWith("user.")), []);
    } finally {
      fs.closeSync(outFd);
    }
    assert.throws(() => fsat.lgetxattrat(rootFd, "f", "user.none"), (e: unknown) => isErrno(e, "ENODATA"));
    assert.throws(() => fsat.lsetxattrat(rootFd, "abs/secret", "user.test", Buffer.from("x")), (e: unknown) => isErrno(e, "EINVAL"));
  });

  it("fdPath gives one component inside the fd's directory", () => {
    assert.equal(fsat.fdPath(7, "x"), "/proc/self/fd/7/x");
    assert.equal(fsat.fdPath(7, ""), "/proc/self/fd/7");
    assert.throws(() => fsat.fdPath(7, "a/b"));
    assert.throws(() => fsat.fdPath(7, ".."));
  });
});

describe("readFiles: many small files at once", () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "readfiles-"));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("gives each file's whole text in the order asked, by several threads, and each failure as fs's error", () => {
    // Enough files for the threads, one larger than any first buffer, one empty, one missing, one a directory.
    const files = Array.from({ length: 300 }, (_, i) => path.join(tmp, `f${i}`));
    files.forEach((f, i) => fs.writeFileSync(f, `file ${i}\n`));
    const big = path.join(tmp, "big");
    fs.writeFileSync(big, "x".repeat(200_000) + "é");
    const empty = path.join(tmp, "empty");
    fs.writeFileSync(empty, "");
    const asked = [...files, big, empty, path.join(tmp, "missing"), tmp];
    const got = fsat.readFiles(asked);
    assert.equal(got.length, asked.length);
    files.forEach((_, i) => assert.equal(got[i], `file ${i}\n`));
    assert.equal(got[300], "x".repeat(200_000) + "é");
    assert.equal(got[301], "");
    assert.ok(got[302] instanceof Error && isErrno(got[302], "ENOENT") && got[302].path === asked[302]);
    assert.ok(got[303] instanceof Error && isErrno(got[303], "EISDIR"));
    assert.deepEqual(fsat.readFiles([]), []);
    assert.throws(() => fsat.readFiles([`${tmp}/a\0b`]), /NUL/);
    assert.throws(() => fsat.readFiles([1 as unknown as string]), TypeError);
  });

  it("PrefetchedFiles: what was read beforehand, a missing file as undefined, any other file read when asked", () => {
    const a = path.join(tmp, "a");
    const later = path.join(tmp, "later");
    fs.writeFileSync(a, "before");
    const files = new PrefetchedFiles();
    files.prefetch([a, path.join(tmp, "gone"), tmp]);
    fs.writeFileSync(a, "after");
    fs.writeFileSync(later, "read now");
    assert.equal(files.read(a), "before");
    assert.equal(files.read(path.join(tmp, "gone")), undefined);
    assert.throws(() => files.read(tmp), /EISDIR/);
    assert.equal(files.read(later), "read now");
    assert.equal(files.read(path.join(tmp, "never")), undefined);
    // The errors a caller counts as "not there" (a removed cgroup's ENODEV), here a directory's.
    const lenient = new PrefetchedFiles(undefined, ["ENOENT", "EISDIR"]);
    lenient.prefetch([tmp]);
    assert.equal(lenient.read(tmp), undefined);
  });

  it("exitNow: the process ends at once with the status, its synchronous writes made, nothing pending run", () => {
    const module = new URL("../../src/util/fsat.js", import.meta.url).href;
    const script = `import fs from "node:fs"; import { exitNow } from ${JSON.stringify(module)};
      process.on("exit", () => fs.writeSync(1, "exit handler\\n"));
      setTimeout(() => fs.writeSync(1, "timer\\n"), 0);
      fs.writeSync(1, "written\\n");
      exitNow(7);`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    assert.equal(r.status, 7, r.stderr);
    assert.equal(r.stdout, "written\n");
    assert.throws(() => fsat.exitNow("7" as unknown as number), TypeError);
  });
});

