// Copy-up of a new volume from real overlay lower directories: real whiteout character
// devices (mknod 0/0), opaque directories (trusted.overlay.opaque xattr), owners and modes.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { copyUpFromImage } from "../../src/engine/volumes/copyup.js";

const skip = process.getuid?.() !== 0 ? "needs root: whiteouts are device nodes and opaque dirs trusted.* xattrs" : false;

function layers(t: { after: (fn: () => void) => void }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-copyup-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const mk = (name: string) => {
    const p = path.join(dir, name);
    fs.mkdirSync(p);
    return p;
  };
  return { dir, top: mk("top"), mid: mk("mid"), base: mk("base"), vol: mk("vol") };
}

function write(root: string, rel: string, content: string, opts: { mode?: number; uid?: number; gid?: number } = {}) {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
  // chown before chmod: chown clears set-id bits.
  if (opts.uid !== undefined) fs.chownSync(p, opts.uid, opts.gid ?? opts.uid);
  if (opts.mode !== undefined) fs.chmodSync(p, opts.mode);
}

const whiteout = (p: string) => execFileSync("mknod", [p, "c", "0", "0"]);
const opaque = (p: string) => execFileSync("setfattr", ["-n", "trusted.overlay.opaque", "-v", "y", p]);

// Everything under a directory as "relpath type mode uid:gid [content|target]".
function listing(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
      const r = path.join(rel, name);
      const p = path.join(root, r);
      const st = fs.lstatSync(p);
      const kind = st.isDirectory() ? "d" : st.isSymbolicLink() ? "l" : st.isFile() ? "f" : st.isFIFO() ? "p" : "c";
      const extra = kind === "f" ? JSON.stringify(fs.readFileSync(p, "utf8")) : kind === "l" ? fs.readlinkSync(p) : kind === "c" ? String(st.rdev) : "";
      out.push(`${r} ${kind} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${extra}`.trimEnd());
      if (kind === "d") walk(r);
    }
  };
  walk("");
  return out;
}

test("copy-up merges layers: whiteouts, opaque dirs, owners, modes, links, devices", { skip }, (t) => {
  const { top, mid, base, vol } = layers(t);
  // base: the original content
  write(base, "srv/data/keep", "base keep", { mode: 0o640, uid: 1000, gid: 1001 });
  write(base, "srv/data/removed", "gone");
  write(base, "srv/data/old/inner", "hidden by opaque");
  write(base, "srv/data/replaced", "base version");
  fs.chmodSync(path.join(base, "srv/data"), 0o750);
  fs.chownSync(path.join(base, "srv/data"), 999, 998);
  // mid: deletes a file, replaces a directory's content (opaque), adds a device and a fifo
  fs.mkdirSync(path.join(mid, "srv/data/old"), { recursive: true });
  whiteout(path.join(mid, "srv/data/removed"));
  opaque(path.join(mid, "srv/data/old"));
  write(mid, "srv/data/old/new", "after opaque");
  execFileSync("mknod", ["-m", "666", path.join(mid, "srv/data/null"), "c", "1", "3"]);
  execFileSync("mkfifo", ["-m", "600", path.join(mid, "srv/data/fifo")]);
  // top: overrides a file, adds a setuid file, a hard link and a symlink
  write(top, "srv/data/replaced", "top version");
  write(top, "srv/data/tool", "#!/bin/sh\n", { mode: 0o4755, uid: 5, gid: 6 });
  fs.linkSync(path.join(top, "srv/data/tool"), path.join(top, "srv/data/tool-link"));
  fs.symlinkSync("keep", path.join(top, "srv/data/link"));

  assert.equal(copyUpFromImage(vol, [top, mid, base], "/srv/data"), true);
  assert.deepEqual(listing(vol), [
    "fifo p 600 0:0",
    'keep f 640 1000:1001 "base keep"',
    "link l 777 0:0 keep",
    "null c 666 0:0 259",
    "old d 755 0:0",
    'old/new f 644 0:0 "after opaque"',
    'replaced f 644 0:0 "top version"',
    'tool f 4755 5:6 "#!/bin/sh\\n"',
    'tool-link f 4755 5:6 "#!/bin/sh\\n"',
  ]);
  assert.equal(fs.statSync(path.join(vol, "tool")).ino, fs.statSync(path.join(vol, "tool-link")).ino);
  // The volume root takes the owner and mode of the image's directory (its topmost copy).
  fs.chownSync(path.join(top, "srv/data"), 999, 998);
  fs.chmodSync(path.join(top, "srv/data"), 0o750);
  fs.rmSync(vol, { recursive: true });
  fs.mkdirSync(vol);
  copyUpFromImage(vol, [top, mid, base], "/srv/data");
  const st = fs.statSync(vol);
  assert.deepEqual([st.mode & 0o7777, st.uid, st.gid], [0o750, 999, 998]);
});

test("copy-up follows symlinks inside the image, and respects a whiteout on the path", { skip }, (t) => {
  const { top, base, vol } = layers(t);
  write(base, "real/dir/file", "through the link", { uid: 7, gid: 7 });
  fs.chownSync(path.join(base, "real/dir"), 42, 43);
  fs.chmodSync(path.join(base, "real/dir"), 0o711);
  fs.symlinkSync("/real/dir", path.join(base, "alias"));
  assert.equal(copyUpFromImage(vol, [top, base], "/alias"), true);
  assert.deepEqual(listing(vol), ['file f 644 7:7 "through the link"']);
  assert.equal(fs.statSync(vol).uid, 42);
  assert.equal(fs.statSync(vol).mode & 0o7777, 0o711);

  fs.rmSync(path.join(vol, "file"));
  whiteout(path.join(top, "real"));
  assert.equal(copyUpFromImage(vol, [top, base], "/real/dir"), false);
  assert.deepEqual(fs.readdirSync(vol), []);
});

test("copy-up leaves a volume with content alone, and a missing path copies nothing", { skip }, (t) => {
  const { base, vol } = layers(t);
  write(base, "data/x", "image");
  write(vol, "mine", "user");
  assert.equal(copyUpFromImage(vol, [base], "/data"), false);
  assert.deepEqual(fs.readdirSync(vol), ["mine"]);
  fs.rmSync(path.join(vol, "mine"));
  assert.equal(copyUpFromImage(vol, [base], "/nothing/here"), false);
  assert.deepEqual(fs.readdirSync(vol), []);
});

test("copy-up gives what the kernel's overlayfs shows at that path", { skip }, (t) => {
  const { dir, top, mid, base, vol } = layers(t);
  write(base, "d/a", "a");
  write(base, "d/sub/x", "x", { uid: 3, gid: 4, mode: 0o600 });
  write(base, "d/sub2/y", "y");
  write(base, "d/file-then-dir", "f");
  fs.mkdirSync(path.join(mid, "d/sub2"), { recursive: true });
  opaque(path.join(mid, "d/sub2"));
  write(mid, "d/sub2/z", "z");
  whiteout(path.join(mid, "d/a"));
  write(mid, "d/file-then-dir/inner", "i");
  write(top, "d/sub/x2", "x2");
  fs.symlinkSync("../d/sub", path.join(top, "d/rel"));
  const mnt = path.join(dir, "mnt");
  fs.mkdirSync(mnt);
  const find = `find . -mindepth 1 -printf '%P %y %m %U:%G %s %l\\n' | sort`;
  // The overlay lives only in a private mount namespace, gone when the command ends.
  const kernel = execFileSync("unshare", ["-m", "--propagation", "private", "sh", "-ec",
    `mount -t overlay overlay -o lowerdir=${top}:${mid}:${base} ${mnt} && cd ${mnt}/d && ${find}`], { encoding: "utf8" });
  assert.equal(copyUpFromImage(vol, [top, mid, base], "/d"), true);
  const ours = execFileSync("sh", ["-ec", `cd ${vol} && ${find}`], { encoding: "utf8" });
  assert.equal(ours, kernel);
  assert.match(ours, /^sub2\/z /m);
  assert.doesNotMatch(ours, /^sub2\/y |^a /m);
});
