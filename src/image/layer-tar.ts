// Tar streams made from directories in overlay form (whiteouts as 0/0 character devices,
// opaque directories marked by trusted.overlay.opaque):
//  - one directory (a container's upper dir) -> a layer, whiteouts turned into OCI
//    whiteouts (.wh.NAME, .wh..wh..opq);
//  - a stack of directories (upper first, then the image's layers) -> the merged file
//    system a container sees, for `export`.
import fs from "node:fs";
import { MydockerError, isErrno } from "../util/errors.js";
import { fdPath, llistxattrat, lgetxattrat } from "../util/fsat.js";
import { OpaqueMarker, WhiteoutPrefix } from "./layer-extract.js";
import { MergedDir, isOpaque, isWhiteout, lstatAt, openRegularAt } from "./overlay-view.js";
import type { TarHeader, TarType } from "./tar/header.js";
import type { TarEntry } from "./tar/writer.js";
import { deviceNumbers } from "../util/device-numbers.js";

function typeOf(st: fs.Stats): TarType | undefined {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "dir";
  if (st.isSymbolicLink()) return "symlink";
  if (st.isCharacterDevice()) return "char";
  if (st.isBlockDevice()) return "block";
  if (st.isFIFO()) return "fifo";
  return undefined; // sockets are not archived, as tar does
}

/**
 * Where a walk may stop: the signal is checked between entries and chunks. A walk and the
 * store writing what it yields can run as promise jobs only (synchronous file calls), so
 * the event loop — and with it a signal handler that aborts — gets a turn every 20 ms.
 */
class Checkpoint {
  private last = Date.now();
  constructor(private readonly signal: AbortSignal | undefined) {}

  async check(): Promise<void> {
    if (this.signal === undefined) return;
    if (Date.now() - this.last > 20) {
      await new Promise((resolve) => setImmediate(resolve));
      this.last = Date.now();
    }
    this.signal.throwIfAborted();
  }
}

/** The file's bytes, read when the tar writer asks for them (the fd is closed however the reading ends). */
async function* fileChunks(dirfd: number, name: string, st: fs.Stats, checkpoint: Checkpoint): AsyncGenerator<Buffer> {
  const fd = openRegularAt(dirfd, name, st);
  try {
    const buffer = Buffer.alloc(Math.min(st.size, 1 << 20));
    let left = st.size;
    while (left > 0) {
      await checkpoint.check();
      const n = fs.readSync(fd, buffer, 0, Math.min(left, buffer.length), null);
      if (n === 0) throw new MydockerError("ECHANGED", `${name} shrank while it was read: pause the container while reading its files`);
      left -= n;
      yield Buffer.from(buffer.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The xattrs of name in dirfd, overlay's own (trusted.overlay.*) left out. */
function xattrsAt(dirfd: number, name: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let names: string[];
  try {
    names = llistxattrat(dirfd, name);
  } catch (e) {
    if (isErrno(e, "ENOTSUP") || isErrno(e, "ENOENT")) return out;
    throw e;
  }
  for (const x of names) {
    if (x.startsWith("trusted.overlay.")) continue;
    try {
      out.set(x, lgetxattrat(dirfd, name, x));
    } catch (e) {
      if (!isErrno(e, "ENODATA")) throw e;
    }
  }
  return out;
}

function header(name: string, st: fs.Stats, type: TarType, xattrs: Map<string, Buffer>): TarHeader {
  const device = type === "char" || type === "block" ? deviceNumbers(st.rdev) : { major: 0, minor: 0 };
  return {
    name,
    type,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    size: type === "file" ? st.size : 0,
    mtime: Math.floor(st.mtimeMs / 1000),
    linkname: "",
    uname: "",
    gname: "",
    devmajor: device.major,
    devminor: device.minor,
    xattrs,
  };
}

/** An empty whiteout or opaque-marker file, owned like what it stands for. */
function marker(name: string, st: fs.Stats): TarHeader {
  return { ...header(name, st, "file", new Map()), mode: 0o600, size: 0 };
}

function changed(rel: string): MydockerError {
  return new MydockerError("ECHANGED", `${rel} changed while it was read: pause the container while reading its files`);
}

class Walker {
  private readonly links = new Map<string, string>();

  /** asLayer: emit whiteouts and opaque markers (one directory) instead of applying them (a stack). */
  constructor(
    private readonly asLayer: boolean,
    private readonly checkpoint: Checkpoint,
  ) {}

  /** A non-directory entry: name in dirfd, seen as st. */
  private entry(dirfd: number, name: string, rel: string, st: fs.Stats): TarEntry | undefined {
    const type = typeOf(st);
    if (type === undefined) return undefined;
    const h = header(rel, st, type, xattrsAt(dirfd, name));
    if (type === "symlink") {
      try {
        h.linkname = fs.readlinkSync(fdPath(dirfd, name));
      } catch (e) {
        if (isErrno(e, "ENOENT")) return undefined;
        if (isErrno(e, "EINVAL")) throw changed(rel);
        throw e;
      }
    }
    if (st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = this.links.get(key);
      if (first !== undefined) return { header: { ...h, type: "link", size: 0, linkname: first } };
      this.links.set(key, rel);
    }
    return { header: h, body: type === "file" && st.size > 0 ? fileChunks(dirfd, name, st, this.checkpoint) : undefined };
  }

  async *walk(rel: string, dir: MergedDir): AsyncGenerator<TarEntry> {
    for (const [name, top] of dir.names()) {
      await this.checkpoint.check();
      const child = rel === "" ? name : `${rel}/${name}`;
      const dirfd = dir.fds[top]!;
      const st = lstatAt(dirfd, name);
      if (st === undefined) continue; // removed since the listing (a container that is not paused)
      if (isWhiteout(st)) {
        if (this.asLayer) yield { header: marker(rel === "" ? `${WhiteoutPrefix}${name}` : `${rel}/${WhiteoutPrefix}${name}`, st) };
        continue;
      }
      if (!st.isDirectory()) {
        const entry = this.entry(dirfd, name, child, st);
        if (entry !== undefined) yield entry;
        continue;
      }
      const sub = dir.child(name, top, !this.asLayer);
      if (sub === undefined) {
        if (lstatAt(dirfd, name) === undefined) continue;
        throw changed(child);
      }
      try {
        // The directory as opened, not as its name looked a moment before.
        const own = sub.fds[0]!;
        const dst = fs.fstatSync(own);
        yield { header: header(`${child}/`, dst, "dir", xattrsAt(own, "")) };
        if (this.asLayer && isOpaque(own, "")) yield { header: marker(`${child}/${OpaqueMarker}`, dst) };
        yield* this.walk(child, sub);
      } finally {
        sub.close();
      }
    }
  }
}

// Both walk through directory fds (see overlay-view.ts): a container that swaps a
// directory for a symlink while it is read cannot lead the walk out of its own files.

export interface WalkOptions {
  /** Stops the walk (checked between entries and file chunks). */
  signal?: AbortSignal;
  /** Called once the walk is over, however it ended: the directories are no longer read (a frozen container may run again). */
  walked?: () => Promise<void>;
}

async function* walkRoot(dirs: string[], asLayer: boolean, opts: WalkOptions): AsyncGenerator<TarEntry> {
  try {
    const root = MergedDir.open(dirs);
    try {
      yield* new Walker(asLayer, new Checkpoint(opts.signal)).walk("", root);
    } finally {
      root.close();
    }
  } finally {
    await opts.walked?.();
  }
}

/** A layer tar made from one directory in overlay form (a container's upper directory). */
export function layerFromDir(dir: string, opts: WalkOptions = {}): AsyncGenerator<TarEntry> {
  return walkRoot([dir], true, opts);
}

/** The merged file system of a stack of overlay directories, topmost first. */
export function mergedFromDirs(dirs: string[], opts: WalkOptions = {}): AsyncGenerator<TarEntry> {
  return walkRoot(dirs, false, opts);
}
