// COPY and ADD as a layer: what each source becomes in the image (docker's directory
// rules), the digest of that content for the cache, and the layer's tar entries.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { canonicalInView } from "../image/overlay-view.js";
import type { TarHeader } from "../image/tar/header.js";
import type { TarEntry } from "../image/tar/writer.js";
import { MydockerError } from "../util/errors.js";
import { matchSources, statIn, walkTree, type SourceTree, type TreeNode } from "./source-tree.js";

export interface Ownership {
  uid: number;
  gid: number;
}

/** One thing the layer holds: a node of a source tree, or inline bytes (a heredoc, a download). */
export interface CopyItem {
  /** Path in the image, without the leading "/". */
  dest: string;
  node?: TreeNode;
  bytes?: Buffer;
  /** The mode of inline bytes. */
  mode?: number;
}

export interface CopyRequest {
  items: CopyItem[];
  chown?: Ownership;
  /** --chmod: applied to every file and directory copied. */
  chmod?: number;
  /** The directories above the copied items, as the image has them (mode, owner, mtime), or undefined when missing. */
  parentStat: (dir: string) => fs.Stats | undefined;
  /** When the step runs: the time of directories it creates. */
  now: number;
}

function failNoSource(src: string): MydockerError {
  return new MydockerError("copy_source", `COPY failed: file not found in build context or excluded by .dockerignore: stat ${src}: no such file or directory`, 1);
}

/**
 * What the sources become under dest (absolute, in the image): a directory's contents
 * go into dest; a file goes to dest itself, or into it when dest is a directory (it ends
 * with "/", there are several sources, or the image has a directory there).
 */
export function planCopy(tree: SourceTree, sources: string[], dest: string, destIsDir: boolean): CopyItem[] {
  const matches = sources.flatMap((s) => {
    const found = matchSources(tree, s);
    if (found.length === 0) throw failNoSource(s);
    return found;
  });
  const intoDir = destIsDir || dest.endsWith("/") || matches.length > 1;
  if (matches.length > 1 && !dest.endsWith("/")) {
    throw new MydockerError("copy_dest", `When using COPY with more than one source file, the destination must be a directory and end with a /`, 1);
  }
  const base = dest.replace(/^\/+/, "").replace(/\/+$/, "");
  const items: CopyItem[] = [];
  for (const m of matches) {
    const node = statIn(tree, m)!;
    if (node.st.isDirectory()) {
      // A source that is a link to a directory copies what the directory holds, as BuildKit's COPY does.
      const walked = canonicalInView(tree.dirs, `/${m}`).slice(1);
      for (const n of walkTree(tree, walked)) items.push({ dest: join(base, n.rel), node: n });
      if (base !== "") items.unshift({ dest: base, node: { ...node, rel: base } });
    } else {
      items.push({ dest: intoDir ? join(base, path.posix.basename(m)) : base, node });
    }
  }
  return items;
}

const join = (a: string, b: string): string => (a === "" ? b : b === "" ? a : `${a}/${b}`);

function headerFor(item: CopyItem, req: CopyRequest): TarHeader {
  const st = item.node?.st;
  const type = st === undefined || st.isFile() ? "file" : st.isDirectory() ? "dir" : "symlink";
  const perm = st === undefined ? (item.mode ?? 0o644) : st.mode & 0o7777;
  return {
    name: type === "dir" ? `${item.dest}/` : item.dest,
    type,
    mode: req.chmod !== undefined && type !== "symlink" ? req.chmod : perm,
    uid: req.chown?.uid ?? 0,
    gid: req.chown?.gid ?? 0,
    size: type === "file" ? (item.bytes?.length ?? st!.size) : 0,
    mtime: st === undefined ? Math.floor(req.now / 1000) : Math.floor(st.mtimeMs / 1000),
    linkname: item.node?.linkTarget ?? "",
    uname: "",
    gname: "",
    devmajor: 0,
    devminor: 0,
    xattrs: new Map(),
  };
}

/** Only files, directories and symlinks are copied, as docker does (sockets and devices are not). */
const copyable = (i: CopyItem): boolean => i.node === undefined || i.node.st.isFile() || i.node.st.isDirectory() || i.node.st.isSymbolicLink();

async function* fileBody(open: () => number, size: number, name: string): AsyncGenerator<Buffer> {
  const fd = open();
  try {
    const buf = Buffer.alloc(Math.min(Math.max(size, 1), 1 << 20));
    let left = size;
    while (left > 0) {
      const n = fs.readSync(fd, buf, 0, Math.min(left, buf.length), null);
      if (n === 0) throw new MydockerError("ECHANGED", `${name} shrank while it was copied`);
      left -= n;
      yield Buffer.from(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The directories above dest that the layer must carry, each as the image has it (or new). */
function parentHeaders(items: CopyItem[], req: CopyRequest): TarHeader[] {
  const own = new Set(items.map((i) => i.dest));
  const dirs = new Set<string>();
  for (const i of items) {
    const parts = i.dest.split("/");
    for (let n = 1; n < parts.length; n++) dirs.add(parts.slice(0, n).join("/"));
  }
  return [...dirs]
    .filter((d) => !own.has(d))
    .sort()
    .map((d) => {
      const st = req.parentStat(d);
      const h = headerFor({ dest: d, node: { rel: d, st: st ?? dirStat } }, { ...req, chmod: undefined, chown: undefined });
      if (st !== undefined) return { ...h, uid: st.uid, gid: st.gid };
      return { ...h, mode: 0o755, mtime: Math.floor(req.now / 1000) };
    });
}

/** A stand-in for a directory the image lacks: only isDirectory() and mode are read. */
const dirStat = Object.assign(Object.create(fs.Stats.prototype) as fs.Stats, { mode: fs.constants.S_IFDIR | 0o755, mtimeMs: 0 });

/** The layer's tar entries: parent directories first, then the items in order. */
export async function* copyEntries(req: CopyRequest): AsyncGenerator<TarEntry> {
  const items = req.items.filter(copyable);
  for (const h of parentHeaders(items, req)) yield { header: h };
  for (const item of items) {
    const header = headerFor(item, req);
    if (header.type !== "file" || header.size === 0) yield { header };
    else if (item.bytes !== undefined) yield { header, body: item.bytes };
    else yield { header, body: fileBody(item.node!.open!, header.size, item.dest) };
  }
}

/** The digest of what the layer would hold (names, types, modes, owners, link targets, file contents): the cache key's part. */
export async function contentDigest(req: CopyRequest): Promise<string> {
  const hash = crypto.createHash("sha256");
  for (const item of req.items.filter(copyable)) {
    const h = headerFor(item, req);
    hash.update(JSON.stringify([h.name, h.type, h.mode, h.uid, h.gid, h.size, h.linkname]));
    if (h.type !== "file") continue;
    if (item.bytes !== undefined) hash.update(item.bytes);
    else for await (const chunk of fileBody(item.node!.open!, h.size, item.dest)) hash.update(chunk);
  }
  return hash.digest("hex");
}
