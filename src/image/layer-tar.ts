// Tar streams made from directories in overlay form (whiteouts as 0/0 character devices,
// opaque directories marked by trusted.overlay.opaque):
//  - one directory (a container's upper dir) -> a layer, whiteouts turned into OCI
//    whiteouts (.wh.NAME, .wh..wh..opq);
//  - a stack of directories (upper first, then the image's layers) -> the merged file
//    system a container sees, for `export`.
import fs from "node:fs";
import path from "node:path";
import { readXattrs } from "./fs-special.js";
import { OpaqueMarker, OpaqueXattr, WhiteoutPrefix } from "./layer-extract.js";
import type { TarHeader, TarType } from "./tar/header.js";
import type { TarEntry } from "./tar/writer.js";
import { deviceNumbers } from "../util/device-numbers.js";

function isWhiteout(st: fs.Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function typeOf(st: fs.Stats): TarType | undefined {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "dir";
  if (st.isSymbolicLink()) return "symlink";
  if (st.isCharacterDevice()) return "char";
  if (st.isBlockDevice()) return "block";
  if (st.isFIFO()) return "fifo";
  return undefined; // sockets are not archived, as tar does
}

async function* fileChunks(file: string, size: number): AsyncGenerator<Buffer> {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const buffer = Buffer.alloc(Math.min(size, 1 << 20));
    let left = size;
    while (left > 0) {
      const n = fs.readSync(fd, buffer, 0, Math.min(left, buffer.length), null);
      if (n === 0) break;
      left -= n;
      yield Buffer.from(buffer.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
}

class Layer {
  private xattrs: Map<string, Map<string, Buffer>> | undefined;
  constructor(readonly root: string) {}

  attrs(rel: string): Map<string, Buffer> {
    this.xattrs ??= readXattrs(this.root);
    return this.xattrs.get(rel) ?? new Map();
  }

  isOpaque(rel: string): boolean {
    return this.attrs(rel).get(OpaqueXattr)?.toString() === "y";
  }
}

function header(name: string, st: fs.Stats, type: TarType, xattrs: Map<string, Buffer>): TarHeader {
  const kept = new Map([...xattrs].filter(([k]) => !k.startsWith("trusted.overlay.")));
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
    xattrs: kept,
  };
}

/** An empty whiteout or opaque-marker file, owned like what it stands for. */
function marker(name: string, st: fs.Stats): TarHeader {
  return { ...header(name, st, "file", new Map()), mode: 0o600, size: 0 };
}

class Walker {
  private readonly links = new Map<string, string>();

  /** asLayer: emit whiteouts and opaque markers (one directory) instead of applying them (a stack). */
  constructor(private readonly asLayer: boolean) {}

  private entry(layer: Layer, rel: string, st: fs.Stats): TarEntry | undefined {
    const type = typeOf(st);
    if (type === undefined) return undefined;
    const h = header(type === "dir" ? `${rel}/` : rel, st, type, layer.attrs(rel));
    const abs = path.join(layer.root, rel);
    if (type === "symlink") h.linkname = fs.readlinkSync(abs);
    if (type !== "dir" && st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = this.links.get(key);
      if (first !== undefined) return { header: { ...h, type: "link", size: 0, linkname: first } };
      this.links.set(key, rel);
    }
    return { header: h, body: type === "file" && st.size > 0 ? fileChunks(abs, st.size) : undefined };
  }

  async *walk(rel: string, stack: Layer[]): AsyncGenerator<TarEntry> {
    const firstSeen = new Map<string, number>();
    stack.forEach((layer, i) => {
      for (const name of fs.readdirSync(path.join(layer.root, rel))) if (!firstSeen.has(name)) firstSeen.set(name, i);
    });
    for (const name of [...firstSeen.keys()].sort()) {
      const child = rel === "" ? name : `${rel}/${name}`;
      const top = firstSeen.get(name)!;
      const layer = stack[top]!;
      const st = fs.lstatSync(path.join(layer.root, child));
      if (isWhiteout(st)) {
        if (this.asLayer) {
          const wh = rel === "" ? `${WhiteoutPrefix}${name}` : `${rel}/${WhiteoutPrefix}${name}`;
          yield { header: marker(wh, st) };
        }
        continue;
      }
      const entry = this.entry(layer, child, st);
      if (entry === undefined) continue;
      yield entry;
      if (!st.isDirectory()) continue;
      const below: Layer[] = [layer];
      if (this.asLayer) {
        if (layer.isOpaque(child)) yield { header: marker(`${child}/${OpaqueMarker}`, st) };
      } else if (!layer.isOpaque(child)) {
        for (const lower of stack.slice(top + 1)) {
          let lst: fs.Stats;
          try {
            lst = fs.lstatSync(path.join(lower.root, child));
          } catch {
            continue;
          }
          if (!lst.isDirectory()) break;
          below.push(lower);
          if (lower.isOpaque(child)) break;
        }
      }
      yield* this.walk(child, below);
    }
  }
}

/** A layer tar made from one directory in overlay form (a container's upper directory). */
export function layerFromDir(dir: string): AsyncGenerator<TarEntry> {
  return new Walker(true).walk("", [new Layer(dir)]);
}

/** The merged file system of a stack of overlay directories, topmost first. */
export function mergedFromDirs(dirs: string[]): AsyncGenerator<TarEntry> {
  return new Walker(false).walk("", dirs.map((d) => new Layer(d)));
}
