// Extracts one layer tar into an empty directory that overlayfs can use as a lower
// layer: OCI whiteouts (.wh.NAME) become 0/0 character devices and opaque markers
// (.wh..wh..opq) the trusted.overlay.opaque xattr. Owners, modes (setuid/setgid too),
// mtimes, xattrs, hard links, symlinks, device nodes and fifos are kept. Entries that
// would land outside the directory are refused.
import fs from "node:fs";
import path from "node:path";
import { MydockerError, isErrno } from "../util/errors.js";
import { makeNodes, setXattrs, type SpecialNode, type Xattr } from "./fs-special.js";
import type { TarHeader } from "./tar/header.js";
import type { TarReader } from "./tar/reader.js";
import type { SplitRecorder } from "./tar/split.js";

export const WhiteoutPrefix = ".wh.";
export const OpaqueMarker = ".wh..wh..opq";
export const OpaqueXattr = "trusted.overlay.opaque";

export interface ExtractStats {
  entries: number;
  /** Bytes of file contents written. */
  bytes: number;
}

function escapes(name: string, why: string): MydockerError {
  return new MydockerError("unsafe_archive", `refusing tar entry "${name}": ${why}`);
}

/** The entry's path relative to the root ("" is the root), refusing anything that leaves it. */
export function safeRelative(name: string): string {
  if (name.startsWith("/")) throw escapes(name, "absolute paths are not allowed in a layer");
  const parts: string[] = [];
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) throw escapes(name, "the path leaves the root (..)");
      parts.pop();
    } else parts.push(part);
  }
  return parts.join("/");
}

interface PendingNode extends SpecialNode {
  rel: string;
  header: TarHeader;
}

class Extractor {
  private readonly realDirs = new Set<string>([""]);
  private readonly dirTimes = new Map<string, number>();
  private readonly xattrs: Xattr[] = [];
  private pendingNodes: PendingNode[] = [];
  private readonly pendingPaths = new Set<string>();
  readonly stats: ExtractStats = { entries: 0, bytes: 0 };

  constructor(private readonly root: string, private readonly split?: SplitRecorder) {}

  private abs(rel: string): string {
    return rel === "" ? this.root : path.join(this.root, rel);
  }

  /** Makes sure every parent of rel is a real directory inside the root (creating missing ones). */
  private ensureParents(rel: string, name: string): void {
    const parts = rel.split("/");
    let current = "";
    for (let i = 0; i < parts.length - 1; i++) {
      current = current === "" ? parts[i]! : `${current}/${parts[i]}`;
      if (this.realDirs.has(current)) continue;
      let st: fs.Stats | undefined;
      try {
        st = fs.lstatSync(this.abs(current));
      } catch (e) {
        if (!isErrno(e, "ENOENT")) throw e;
      }
      if (st === undefined) fs.mkdirSync(this.abs(current), { mode: 0o755 });
      else if (st.isSymbolicLink()) throw escapes(name, `it is written through the symbolic link "${current}"`);
      else if (!st.isDirectory()) throw escapes(name, `"${current}" is not a directory`);
      this.realDirs.add(current);
    }
  }

  /** Removes whatever is at rel (keeping a directory when keepDir), telling tar-split first. */
  private clear(rel: string, keepDir: boolean): boolean {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(this.abs(rel));
    } catch (e) {
      if (isErrno(e, "ENOENT")) return false;
      throw e;
    }
    if (st.isDirectory() && keepDir) return true;
    if (this.pendingPaths.has(rel)) this.flushNodes();
    this.split?.beforeRemove(rel);
    fs.rmSync(this.abs(rel), { recursive: true, force: true });
    for (const d of this.realDirs) if (d === rel || d.startsWith(`${rel}/`)) this.realDirs.delete(d);
    return false;
  }

  private setOwnerModeTime(abs: string, h: TarHeader): void {
    fs.lchownSync(abs, h.uid, h.gid);
    fs.chmodSync(abs, h.mode);
    fs.lutimesSync(abs, h.mtime, h.mtime);
  }

  private flushNodes(): void {
    if (this.pendingNodes.length === 0) return;
    const nodes = this.pendingNodes;
    this.pendingNodes = [];
    this.pendingPaths.clear();
    makeNodes(nodes);
    for (const n of nodes) this.setOwnerModeTime(n.path, n.header);
  }

  private queueXattrs(rel: string, h: TarHeader): void {
    for (const [name, value] of h.xattrs) {
      // Overlay metadata in a layer could redirect lookups elsewhere: only whiteouts make it.
      if (name.startsWith("trusted.overlay.")) continue;
      this.xattrs.push({ path: rel === "" ? "." : rel, name, value });
    }
  }

  async entry(h: TarHeader, data: () => AsyncGenerator<Buffer>): Promise<void> {
    this.stats.entries++;
    const rel = safeRelative(h.name);
    const base = rel.slice(rel.lastIndexOf("/") + 1);
    if (base.startsWith(WhiteoutPrefix)) return this.whiteout(rel, base, h, data);
    if (rel === "") {
      if (h.type !== "dir") throw escapes(h.name, "the root must be a directory");
      return this.directory(rel, h);
    }
    this.ensureParents(rel, h.name);
    switch (h.type) {
      case "dir":
        return this.directory(rel, h);
      case "file":
        return this.file(rel, h, data);
      case "symlink":
        this.clear(rel, false);
        fs.symlinkSync(h.linkname, this.abs(rel));
        fs.lchownSync(this.abs(rel), h.uid, h.gid);
        fs.lutimesSync(this.abs(rel), h.mtime, h.mtime);
        this.queueXattrs(rel, h);
        return;
      case "link":
        return this.hardlink(rel, h);
      case "char":
      case "block":
      case "fifo":
        this.clear(rel, false);
        this.node(rel, h, h.type, h.devmajor, h.devminor);
        this.queueXattrs(rel, h);
        return;
    }
  }

  private node(rel: string, h: TarHeader, type: SpecialNode["type"], major: number, minor: number): void {
    this.pendingNodes.push({ rel, path: this.abs(rel), type, major, minor, header: h });
    this.pendingPaths.add(rel);
  }

  private directory(rel: string, h: TarHeader): void {
    if (rel !== "" && !this.clear(rel, true)) fs.mkdirSync(this.abs(rel), { mode: 0o700 });
    this.realDirs.add(rel);
    fs.lchownSync(this.abs(rel), h.uid, h.gid);
    fs.chmodSync(this.abs(rel), h.mode);
    this.dirTimes.set(rel, h.mtime);
    this.queueXattrs(rel, h);
  }

  private async file(rel: string, h: TarHeader, data: () => AsyncGenerator<Buffer>): Promise<void> {
    const abs = this.abs(rel);
    const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
    let fd: number;
    try {
      fd = fs.openSync(abs, flags, 0o600);
    } catch (e) {
      if (!isErrno(e, "EEXIST")) throw e;
      this.clear(rel, false);
      fd = fs.openSync(abs, flags, 0o600);
    }
    try {
      for await (const chunk of data()) {
        let off = 0;
        while (off < chunk.length) off += fs.writeSync(fd, chunk, off, chunk.length - off);
        this.stats.bytes += chunk.length;
      }
      fs.fchownSync(fd, h.uid, h.gid);
      fs.fchmodSync(fd, h.mode);
      fs.futimesSync(fd, h.mtime, h.mtime);
    } finally {
      fs.closeSync(fd);
    }
    if (h.size > 0) this.split?.attach(rel);
    this.queueXattrs(rel, h);
  }

  private hardlink(rel: string, h: TarHeader): void {
    const target = safeRelative(h.linkname);
    if (target === "") throw escapes(h.name, "a hard link to the root");
    this.ensureParents(target, h.name);
    if (this.pendingPaths.has(target)) this.flushNodes();
    let st: fs.Stats;
    try {
      st = fs.lstatSync(this.abs(target));
    } catch (e) {
      if (isErrno(e, "ENOENT")) throw escapes(h.name, `its hard link target "${h.linkname}" is not in the layer`);
      throw e;
    }
    if (st.isDirectory()) throw escapes(h.name, "a hard link to a directory");
    if (target === rel) return;
    this.clear(rel, false);
    fs.linkSync(this.abs(target), this.abs(rel));
  }

  private async whiteout(rel: string, base: string, h: TarHeader, data: () => AsyncGenerator<Buffer>): Promise<void> {
    if (h.size > 0) {
      const contents: Buffer[] = [];
      for await (const chunk of data()) contents.push(Buffer.from(chunk));
      this.split?.inline(Buffer.concat(contents));
    }
    this.ensureParents(rel, h.name);
    const dir = rel.slice(0, Math.max(0, rel.length - base.length - 1));
    if (base === OpaqueMarker) {
      this.xattrs.push({ path: dir === "" ? "." : dir, name: OpaqueXattr, value: Buffer.from("y") });
      return;
    }
    // .wh..wh.plnk, .wh..wh.aufs and friends are aufs bookkeeping, meaningless here.
    if (base.startsWith(`${WhiteoutPrefix}${WhiteoutPrefix}`)) return;
    const hidden = base.slice(WhiteoutPrefix.length);
    if (hidden === "") throw escapes(h.name, "a whiteout without a name");
    const target = dir === "" ? hidden : `${dir}/${hidden}`;
    this.clear(target, false);
    this.node(target, { ...h, mode: 0 }, "char", 0, 0);
  }

  finish(): void {
    this.flushNodes();
    setXattrs(this.root, this.xattrs);
    // Last, because creating entries changes their parent directory's mtime.
    for (const [rel, mtime] of this.dirTimes) fs.lutimesSync(this.abs(rel), mtime, mtime);
  }
}

/** Extracts every entry of the reader into root, an existing empty directory. */
export async function extractLayer(reader: TarReader, root: string, split?: SplitRecorder): Promise<ExtractStats> {
  const x = new Extractor(root, split);
  for (let h = await reader.next(); h !== null; h = await reader.next()) {
    await x.entry(h, () => reader.data());
  }
  x.finish();
  return x.stats;
}
