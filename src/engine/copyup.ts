// Fills a new volume from the image, as docker does on first use: the merged view of the
// image's layer directories at the mount target is copied into the volume, with owners,
// modes, times, symlinks, device nodes and hard links. Layers are overlayfs lower
// directories: a 0/0 character device is a whiteout, and a directory with the xattr
// trusted.overlay.opaque=y hides everything below it in lower layers.
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { MydockerError } from "../util/errors.js";
import { deviceNumbers } from "../util/device-numbers.js";

interface Entry {
  /** Where the entry's topmost copy lives. */
  path: string;
  st: fs.Stats;
  /** For a directory: its copies in each layer that contributes to it, topmost first. */
  dirs: string[];
}

const OPAQUE_XATTR = "trusted.overlay.opaque";

// Node has no xattr API; getfattr reads them. One recursive scan per layer subtree keeps
// it to a few processes however big the tree.
class OpaqueProbe {
  private readonly opaque = new Set<string>();
  private readonly checked = new Set<string>();
  /** Trees read recursively: what is not in `opaque` below them is not opaque. */
  private readonly scanned: string[] = [];

  private known(p: string): boolean {
    return this.checked.has(p) || this.scanned.some((root) => p === root || p.startsWith(`${root}/`));
  }

  isOpaque(p: string): boolean {
    if (!this.known(p)) {
      this.query([p], false);
      this.checked.add(p);
    }
    return this.opaque.has(p);
  }

  scan(root: string): void {
    if (this.scanned.some((r) => root === r || root.startsWith(`${r}/`))) return;
    this.query([root], true);
    this.scanned.push(root);
  }

  private query(paths: string[], recursive: boolean): void {
    const args = ["--absolute-names", "-h", "-d", "-m", `^${OPAQUE_XATTR.replace(/\./g, "\\.")}$`];
    if (recursive) args.push("-R", "-P");
    const r = spawnSync("getfattr", [...args, "--", ...paths], { encoding: "utf8" });
    if (r.error) throw new MydockerError("ECOPYUP", `reading overlay xattrs: getfattr: ${r.error.message}`);
    let file = "";
    for (const line of r.stdout.split("\n")) {
      if (line.startsWith("# file: ")) {
        file = line.slice(8).replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
      } else if (line === `${OPAQUE_XATTR}="y"`) {
        this.opaque.add(file);
      }
    }
  }
}

function isWhiteout(st: fs.Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function lstat(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

// Overlayfs lookup of one name in a merged directory.
function lookup(dirs: readonly string[], name: string, probe: OpaqueProbe): Entry | undefined {
  for (let i = 0; i < dirs.length; i++) {
    const top = path.join(dirs[i], name);
    const st = lstat(top);
    if (!st) continue;
    if (isWhiteout(st)) return undefined;
    if (!st.isDirectory()) return { path: top, st, dirs: [] };
    const merged = [top];
    for (let j = i + 1; j < dirs.length && !probe.isOpaque(merged[merged.length - 1]); j++) {
      const lower = path.join(dirs[j], name);
      const lst = lstat(lower);
      if (!lst) continue;
      if (!lst.isDirectory()) break;
      merged.push(lower);
    }
    return { path: top, st, dirs: merged };
  }
  return undefined;
}

function readdirMerged(dirs: readonly string[], probe: OpaqueProbe): Map<string, Entry> {
  const names = new Set<string>();
  for (const d of dirs) for (const n of fs.readdirSync(d)) names.add(n);
  const entries = new Map<string, Entry>();
  for (const n of [...names].sort()) {
    const e = lookup(dirs, n, probe);
    if (e) entries.set(n, e);
  }
  return entries;
}

// Resolves PATH in the merged view, following symlinks inside it (never out of it).
function resolve(layers: readonly string[], containerPath: string, probe: OpaqueProbe): Entry | undefined {
  const root: Entry = { path: layers[0], st: fs.lstatSync(layers[0]), dirs: [...layers] };
  const stack = [root];
  const parts = containerPath.split("/");
  let hops = 0;
  while (parts.length > 0) {
    const part = parts.shift()!;
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (stack.length > 1) stack.pop();
      continue;
    }
    const dir = stack[stack.length - 1];
    if (!dir.st.isDirectory()) return undefined;
    const e = lookup(dir.dirs, part, probe);
    if (!e) return undefined;
    if (e.st.isSymbolicLink()) {
      if (++hops > 40) return undefined;
      const target = fs.readlinkSync(e.path);
      if (target.startsWith("/")) stack.splice(1);
      parts.unshift(...target.split("/"));
      continue;
    }
    stack.push(e);
  }
  return stack[stack.length - 1];
}

function applyMetadata(to: string, st: fs.Stats): void {
  fs.lchownSync(to, st.uid, st.gid);
  if (st.isSymbolicLink()) {
    fs.lutimesSync(to, st.atime, st.mtime);
    return;
  }
  // After chown, which clears set-id bits.
  fs.chmodSync(to, st.mode & 0o7777);
  fs.utimesSync(to, st.atime, st.mtime);
}

function mknod(to: string, st: fs.Stats): void {
  const type = st.isFIFO() ? "p" : st.isCharacterDevice() ? "c" : "b";
  const { major, minor } = deviceNumbers(st.rdev);
  const args = type === "p" ? [to, "p"] : [to, type, String(major), String(minor)];
  const r = spawnSync("mknod", args, { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    throw new MydockerError("ECOPYUP", `copying ${to}: mknod: ${r.error?.message ?? r.stderr.trim()}`);
  }
}

function copyTree(dirs: readonly string[], dest: string, probe: OpaqueProbe, links: Map<string, string>): void {
  for (const [name, e] of readdirMerged(dirs, probe)) {
    const to = path.join(dest, name);
    const key = `${e.st.dev}:${e.st.ino}`;
    if (e.st.isDirectory()) {
      fs.mkdirSync(to);
      copyTree(e.dirs, to, probe, links);
    } else if (e.st.nlink > 1 && links.has(key)) {
      fs.linkSync(links.get(key)!, to);
      continue;
    } else if (e.st.isFile()) {
      fs.copyFileSync(e.path, to);
    } else if (e.st.isSymbolicLink()) {
      fs.symlinkSync(fs.readlinkSync(e.path), to);
    } else if (e.st.isFIFO() || e.st.isCharacterDevice() || e.st.isBlockDevice()) {
      mknod(to, e.st);
    } else {
      continue; // sockets belong to a running process, not to an image
    }
    if (!e.st.isDirectory() && e.st.nlink > 1) links.set(key, to);
    applyMetadata(to, e.st);
  }
}

/**
 * Copies the image's content at containerPath into an empty volume directory, and gives the
 * volume directory the owner and mode of the image's directory. Does nothing when the volume
 * already has content or the image has no directory there (docker's copyExistingContents).
 * Extended attributes are not copied.
 */
export function copyUpFromImage(volumeDataDir: string, imageLayerDirs: readonly string[], containerPath: string): boolean {
  if (imageLayerDirs.length === 0 || fs.readdirSync(volumeDataDir).length > 0) return false;
  const probe = new OpaqueProbe();
  const src = resolve(imageLayerDirs, containerPath, probe);
  if (!src || !src.st.isDirectory()) return false;
  // Opacity only matters where a lower layer lies below.
  if (src.dirs.length > 1) for (const d of src.dirs.slice(0, -1)) probe.scan(d);
  copyTree(src.dirs, volumeDataDir, probe, new Map());
  applyMetadata(volumeDataDir, src.st);
  return true;
}
