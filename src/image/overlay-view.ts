// The merged view of overlay directories (a container's upper directory over its image's
// layers, topmost first), read as overlayfs reads it — a 0/0 character device is a
// whiteout, trusted.overlay.opaque=y hides the layers below a directory — but through
// directory fds: every name is looked up in a directory held open, one component at a
// time, and a symlink is never followed by the kernel, only interpreted here, inside the
// view. A running container may change its files while they are read; it can never make
// a read land outside them.
import fs from "node:fs";
import path from "node:path";
import { MydockerError, isErrno } from "../util/errors.js";
import { O_PATH, fdPath, lgetxattrat, openDir } from "../util/fsat.js";
import { OpaqueXattr } from "./layer-extract.js";

const O_DIR = fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW;
const MaxSymlinkHops = 40;

export function isWhiteout(st: fs.Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** Whether name in dirfd ("" for dirfd itself) is an opaque directory. */
export function isOpaque(dirfd: number, name: string): boolean {
  try {
    return lgetxattrat(dirfd, name, OpaqueXattr).toString() === "y";
  } catch (e) {
    if (isErrno(e, "ENODATA") || isErrno(e, "ENOTSUP") || isErrno(e, "ENOENT")) return false;
    throw e;
  }
}

export function lstatAt(dirfd: number, name: string): fs.Stats | undefined {
  return fs.lstatSync(fdPath(dirfd, name), { throwIfNoEntry: false });
}

/** The directory name in dirfd, opened without following a symlink; undefined when it is not (or no longer) one. */
export function openDirAt(dirfd: number, name: string): number | undefined {
  try {
    return fs.openSync(fdPath(dirfd, name), O_DIR);
  } catch (e) {
    if (isErrno(e, "ENOENT") || isErrno(e, "ENOTDIR") || isErrno(e, "ELOOP")) return undefined;
    throw e;
  }
}

/**
 * Opens name in dirfd for reading if it is still the regular file `expected` (same inode).
 * An O_PATH fd is checked first and then reopened: whatever was swapped in (a device, a
 * FIFO, a symlink) is never opened for reading.
 */
export function openRegularAt(dirfd: number, name: string, expected?: fs.Stats): number {
  const changed = () => new MydockerError("ECHANGED", `${name} changed while it was read: pause the container while reading its files`);
  let pathFd: number;
  try {
    pathFd = fs.openSync(fdPath(dirfd, name), O_PATH | fs.constants.O_NOFOLLOW);
  } catch (e) {
    if (isErrno(e, "ENOENT")) throw changed();
    throw e;
  }
  try {
    const st = fs.fstatSync(pathFd);
    if (!st.isFile() || (expected !== undefined && (st.ino !== expected.ino || st.dev !== expected.dev))) throw changed();
    // The magic link is the inode just checked, whatever its name points at now.
    return fs.openSync(`/proc/self/fd/${pathFd}`, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } finally {
    fs.closeSync(pathFd);
  }
}

function closeAll(fds: Iterable<number>): void {
  for (const fd of fds) fs.closeSync(fd);
}

interface Found {
  /** Index of the topmost layer that has the name. */
  index: number;
  st: fs.Stats;
}

/** One directory of the merged view: its copies in the layers that make it, topmost first, as open fds. */
export class MergedDir {
  private constructor(readonly fds: number[]) {}

  /** The root of the view; dirs are trusted host paths (the engine's own layer directories). */
  static open(dirs: readonly string[]): MergedDir {
    const fds: number[] = [];
    try {
      for (const d of dirs) fds.push(openDir(d));
    } catch (e) {
      closeAll(fds);
      throw e;
    }
    return new MergedDir(fds);
  }

  /** Every name of the view here, sorted, with the index of the topmost layer that has it (whiteouts included). */
  names(): Map<string, number> {
    const firstSeen = new Map<string, number>();
    this.fds.forEach((fd, i) => {
      for (const name of fs.readdirSync(fdPath(fd, ""))) if (!firstSeen.has(name)) firstSeen.set(name, i);
    });
    return new Map([...firstSeen].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** The topmost copy of name; undefined when no layer has it or it is whited out. */
  lookup(name: string): Found | undefined {
    for (let i = 0; i < this.fds.length; i++) {
      const st = lstatAt(this.fds[i]!, name);
      if (st === undefined) continue;
      return isWhiteout(st) ? undefined : { index: i, st };
    }
    return undefined;
  }

  /**
   * The directory name as the view merges it, starting at layer `from` (which holds it as
   * a directory): the layers below add to it until one is opaque or has a non-directory
   * there. Undefined when layer `from` no longer has a directory there.
   */
  child(name: string, from: number, merge = true): MergedDir | undefined {
    const top = openDirAt(this.fds[from]!, name);
    if (top === undefined) return undefined;
    const fds = [top];
    try {
      if (merge && !isOpaque(top, "")) {
        for (const parent of this.fds.slice(from + 1)) {
          const st = lstatAt(parent, name);
          if (st === undefined) continue;
          const fd = st.isDirectory() ? openDirAt(parent, name) : undefined;
          if (fd === undefined) break;
          fds.push(fd);
          if (isOpaque(fd, "")) break;
        }
      }
    } catch (e) {
      closeAll(fds);
      throw e;
    }
    return new MergedDir(fds);
  }

  close(): void {
    closeAll(this.fds.splice(0));
  }
}

/**
 * Resolves path in the view, following its symlinks inside the view only (an absolute
 * target starts again at its root, ".." stops there), as openat2(RESOLVE_IN_ROOT) does in
 * a mounted root, and calls use with the last component: the directory that holds it, its
 * name and what is there. Undefined when a component is missing or the path names the root.
 */
export function resolveInView<T>(dirs: readonly string[], file: string, use: (dir: MergedDir, name: string, found: Found) => T): T | undefined {
  const stack = [MergedDir.open(dirs)];
  try {
    const parts = file.split("/");
    let hops = 0;
    while (parts.length > 0) {
      const part = parts.shift()!;
      if (part === "" || part === ".") continue;
      if (part === "..") {
        if (stack.length > 1) stack.pop()!.close();
        continue;
      }
      const dir = stack[stack.length - 1]!;
      const found = dir.lookup(part);
      if (found === undefined) return undefined;
      if (found.st.isSymbolicLink()) {
        if (++hops > MaxSymlinkHops) return undefined;
        const target = fs.readlinkSync(fdPath(dir.fds[found.index]!, part));
        if (target.startsWith("/")) for (const d of stack.splice(1)) d.close();
        parts.unshift(...target.split("/"));
        continue;
      }
      if (parts.every((p) => p === "" || p === ".")) return use(dir, part, found);
      const child = found.st.isDirectory() ? dir.child(part, found.index) : undefined;
      if (child === undefined) return undefined;
      stack.push(child);
    }
    return undefined;
  } finally {
    for (const d of stack) d.close();
  }
}

/** A regular file of the view by its path in the container (see resolveInView); undefined when there is none. */
export function readFileInView(dirs: readonly string[], file: string, maxBytes: number): Buffer | undefined {
  return resolveInView(dirs, file, (dir, name, found) => (found.st.isFile() ? readRegular(dir.fds[found.index]!, name, found.st, maxBytes, file) : undefined));
}

function readRegular(dirfd: number, name: string, st: fs.Stats, maxBytes: number, what: string): Buffer {
  const fd = openRegularAt(dirfd, name, st);
  try {
    const size = fs.fstatSync(fd).size;
    if (size > maxBytes) throw new MydockerError("ETOOBIG", `${what} is ${size} bytes, more than the ${maxBytes} read from a container's file`);
    const buf = Buffer.alloc(size);
    let got = 0;
    while (got < size) {
      const n = fs.readSync(fd, buf, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * file (absolute, in the view) with the symlinks of its existing part resolved inside the
 * view: what is written or made there must land where the image's links lead
 * (/bin -> usr/bin, /var/run -> /run), not shadow them with a directory nor fail at them.
 */
export function canonicalInView(dirs: readonly string[], file: string): string {
  if (dirs.length === 0) return path.posix.resolve("/", file);
  const done: string[] = [];
  const parts = file.split("/");
  let hops = 0;
  const root = MergedDir.open(dirs);
  const stack: (MergedDir | undefined)[] = [root];
  try {
    while (parts.length > 0) {
      const part = parts.shift()!;
      if (part === "" || part === ".") continue;
      if (part === "..") {
        if (done.length > 0) {
          done.pop();
          stack.pop()?.close();
        }
        continue;
      }
      const dir = stack[stack.length - 1];
      const found = dir?.lookup(part);
      if (dir !== undefined && found?.st.isSymbolicLink() && ++hops <= MaxSymlinkHops) {
        const target = fs.readlinkSync(fdPath(dir.fds[found.index]!, part));
        if (target.startsWith("/")) {
          for (const d of stack.splice(1)) d?.close();
          done.length = 0;
        }
        parts.unshift(...target.split("/"));
        continue;
      }
      done.push(part);
      // Past the existing part (or at a file) the rest is taken as written.
      stack.push(found?.st.isDirectory() ? dir?.child(part, found.index) : undefined);
    }
    return `/${done.join("/")}`;
  } finally {
    for (const d of stack) d?.close();
  }
}
