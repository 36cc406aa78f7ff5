// Extracts one layer tar into an empty directory that overlayfs can use as a lower
// layer: OCI whiteouts (.wh.NAME) become 0/0 character devices and opaque markers
// (.wh..wh..opq) the trusted.overlay.opaque xattr. Owners, modes (setuid/setgid too),
// mtimes, xattrs, hard links, symlinks, device nodes and fifos are kept.
//
// An archive is untrusted: a later entry may turn a directory into a symlink to anywhere.
// So nothing here uses a path string from the root: every operation is relative to a
// directory fd opened one component at a time without following symlinks
// (openat2 RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH), every entry is finished (node, owner,
// mode, xattrs) when it is read, and the one deferred step, directory mtimes, re-opens
// the directory inside the root and checks it is still the same inode.
import fs from "node:fs";
import { MydockerError, isErrno } from "../util/errors.js";
import { RESOLVE_BENEATH, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, fdPath, lsetxattrat, mknodat, openDir, openat2 } from "../util/fsat.js";
import { removeTree } from "../util/remove-tree.js";
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

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, S_IFCHR, S_IFBLK, S_IFIFO } = fs.constants;
// No O_NOFOLLOW: with it a symlink reads as ENOTDIR; RESOLVE_NO_SYMLINKS says ELOOP.
const O_DIR = O_RDONLY | O_DIRECTORY;
const Inside = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH;
/** Directory fds kept open for the entries that follow (layers list a directory's entries together). */
const MaxCachedDirs = 128;

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

/**
 * The xattrs a layer may carry, as docker keeps them: capabilities, user attributes and
 * ACLs. Never trusted.* (overlay metadata could redirect lookups out of the layer: only
 * the engine writes trusted.overlay.opaque, for opaque markers) nor security.selinux and
 * friends, which belong to the host's policy.
 */
export function keptXattr(name: string, type: TarHeader["type"]): boolean {
  // Each where the kernel accepts it: user.* on files and directories, file capabilities
  // on files, default ACLs on directories, none on symlinks.
  if (name.startsWith("user.")) return type === "file" || type === "dir";
  if (name === "security.capability") return type === "file";
  if (name === "system.posix_acl_access") return type !== "symlink";
  if (name === "system.posix_acl_default") return type === "dir";
  return false;
}

function splitPath(rel: string): { parent: string; base: string } {
  const slash = rel.lastIndexOf("/");
  return slash === -1 ? { parent: "", base: rel } : { parent: rel.slice(0, slash), base: rel.slice(slash + 1) };
}

class Extractor {
  /** Open directories by path relative to the root; "" is the root itself. */
  private readonly dirs = new Map<string, number>();
  /** Directory mtimes to set at the end (creating entries changes them), with the inode they belong to. */
  private readonly dirTimes = new Map<string, { mtime: number; ino: number }>();
  readonly stats: ExtractStats = { entries: 0, bytes: 0 };

  constructor(private readonly rootFd: number, private readonly split?: SplitRecorder) {
    this.dirs.set("", rootFd);
  }

  close(): void {
    for (const [rel, fd] of this.dirs) if (rel !== "") fs.closeSync(fd);
    this.dirs.clear();
  }

  /** Closes the directories used longest ago; only between entries, so no fd an entry holds goes away. */
  private trim(): void {
    for (const [rel, fd] of this.dirs) {
      if (this.dirs.size <= MaxCachedDirs) return;
      if (rel === "") continue;
      fs.closeSync(fd);
      this.dirs.delete(rel);
    }
  }

  /** An fd of the real directory rel inside the root, made (mode 0755) when missing and create is set. */
  private dir(rel: string, name: string, create: boolean): number {
    const cached = this.dirs.get(rel);
    if (cached !== undefined) {
      this.dirs.delete(rel);
      this.dirs.set(rel, cached);
      return cached;
    }
    const { parent, base } = splitPath(rel);
    const parentFd = this.dir(parent, name, create);
    for (;;) {
      try {
        const fd = openat2(parentFd, base, O_DIR, 0, Inside);
        this.dirs.set(rel, fd);
        return fd;
      } catch (e) {
        if (isErrno(e, "ELOOP")) throw escapes(name, `it is written through the symbolic link "${rel}"`);
        if (isErrno(e, "ENOTDIR")) throw escapes(name, `"${rel}" is not a directory`);
        if (!isErrno(e, "ENOENT")) throw e;
        if (!create) throw escapes(name, `"${rel}" is not in the layer`);
      }
      fs.mkdirSync(fdPath(parentFd, base), { mode: 0o755 });
    }
  }

  /** The directory that holds rel (made when missing) and rel's name in it. */
  private parentOf(rel: string, name: string, create = true): { fd: number; base: string } {
    const { parent, base } = splitPath(rel);
    return { fd: this.dir(parent, name, create), base };
  }

  /** Removes whatever is at base in dirFd (keeping a directory when keepDir), telling tar-split first. */
  private clear(dirFd: number, base: string, rel: string, keepDir: boolean): boolean {
    const at = fdPath(dirFd, base);
    const st = fs.lstatSync(at, { throwIfNoEntry: false });
    if (st === undefined) return false;
    if (st.isDirectory() && keepDir) return true;
    this.split?.beforeRemove(rel);
    if (st.isDirectory()) {
      for (const [d, fd] of this.dirs) {
        if (d === rel || d.startsWith(`${rel}/`)) {
          fs.closeSync(fd);
          this.dirs.delete(d);
        }
      }
      for (const d of this.dirTimes.keys()) if (d === rel || d.startsWith(`${rel}/`)) this.dirTimes.delete(d);
      removeTree(at);
    } else fs.unlinkSync(at);
    return false;
  }

  /** Sets the entry's kept xattrs on base in dirFd ("" for dirFd itself). */
  private xattrs(dirFd: number, base: string, h: TarHeader): void {
    for (const [name, value] of h.xattrs) {
      if (!keptXattr(name, h.type)) continue;
      try {
        lsetxattrat(dirFd, base, name, value);
      } catch (e) {
        throw new MydockerError("xattr_failed", `cannot set xattr ${name} of "${h.name}": ${(e as Error).message}`);
      }
    }
  }

  async entry(h: TarHeader, data: () => AsyncGenerator<Buffer>): Promise<void> {
    this.stats.entries++;
    this.trim();
    const rel = safeRelative(h.name);
    const base = rel.slice(rel.lastIndexOf("/") + 1);
    if (base.startsWith(WhiteoutPrefix)) return this.whiteout(rel, base, h, data);
    if (rel === "") {
      if (h.type !== "dir") throw escapes(h.name, "the root must be a directory");
      return this.directory(rel, h);
    }
    switch (h.type) {
      case "dir":
        return this.directory(rel, h);
      case "file":
        return this.file(rel, h, data);
      case "symlink": {
        const p = this.parentOf(rel, h.name);
        this.clear(p.fd, p.base, rel, false);
        const at = fdPath(p.fd, p.base);
        fs.symlinkSync(h.linkname, at);
        fs.lchownSync(at, h.uid, h.gid);
        fs.lutimesSync(at, h.mtime, h.mtime);
        this.xattrs(p.fd, p.base, h);
        return;
      }
      case "link":
        return this.hardlink(rel, h);
      case "char":
      case "block":
      case "fifo": {
        const p = this.parentOf(rel, h.name);
        this.clear(p.fd, p.base, rel, false);
        const type = h.type === "char" ? S_IFCHR : h.type === "block" ? S_IFBLK : S_IFIFO;
        this.node(p.fd, p.base, h, type, h.devmajor, h.devminor);
        this.xattrs(p.fd, p.base, h);
        return;
      }
    }
  }

  /** Makes a device node or fifo (base must not exist) with the entry's owner, mode and time. */
  private node(dirFd: number, base: string, h: TarHeader, type: number, major: number, minor: number): void {
    mknodat(dirFd, base, type | 0o600, major, minor);
    const at = fdPath(dirFd, base);
    fs.lchownSync(at, h.uid, h.gid);
    // Just made by mknodat, so not a symlink: chmod cannot be redirected.
    fs.chmodSync(at, h.mode);
    fs.lutimesSync(at, h.mtime, h.mtime);
  }

  private directory(rel: string, h: TarHeader): void {
    let fd: number;
    if (rel === "") fd = this.rootFd;
    else {
      const p = this.parentOf(rel, h.name);
      if (!this.clear(p.fd, p.base, rel, true)) fs.mkdirSync(fdPath(p.fd, p.base), { mode: 0o700 });
      fd = this.dir(rel, h.name, false);
    }
    fs.fchownSync(fd, h.uid, h.gid);
    fs.fchmodSync(fd, h.mode);
    this.dirTimes.set(rel, { mtime: h.mtime, ino: fs.fstatSync(fd).ino });
    this.xattrs(fd, "", h);
  }

  private async file(rel: string, h: TarHeader, data: () => AsyncGenerator<Buffer>): Promise<void> {
    const p = this.parentOf(rel, h.name);
    const flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;
    let fd: number;
    try {
      fd = openat2(p.fd, p.base, flags, 0o600, Inside);
    } catch (e) {
      if (!isErrno(e, "EEXIST")) throw e;
      this.clear(p.fd, p.base, rel, false);
      fd = openat2(p.fd, p.base, flags, 0o600, Inside);
    }
    try {
      for await (const chunk of data()) {
        let off = 0;
        while (off < chunk.length) off += fs.writeSync(fd, chunk, off, chunk.length - off);
        this.stats.bytes += chunk.length;
      }
      fs.fchownSync(fd, h.uid, h.gid);
      fs.fchmodSync(fd, h.mode);
      this.xattrs(fd, "", h);
      fs.futimesSync(fd, h.mtime, h.mtime);
    } finally {
      fs.closeSync(fd);
    }
    if (h.size > 0) this.split?.attach(rel);
  }

  private hardlink(rel: string, h: TarHeader): void {
    const target = safeRelative(h.linkname);
    if (target === "") throw escapes(h.name, "a hard link to the root");
    const t = this.parentOf(target, h.name, false);
    const st = fs.lstatSync(fdPath(t.fd, t.base), { throwIfNoEntry: false });
    if (st === undefined) throw escapes(h.name, `its hard link target "${h.linkname}" is not in the layer`);
    if (st.isDirectory()) throw escapes(h.name, "a hard link to a directory");
    if (target === rel) return;
    const p = this.parentOf(rel, h.name);
    this.clear(p.fd, p.base, rel, false);
    // link(2) does not follow a symlink that is the old path's last component.
    fs.linkSync(fdPath(t.fd, t.base), fdPath(p.fd, p.base));
  }

  private async whiteout(rel: string, base: string, h: TarHeader, data: () => AsyncGenerator<Buffer>): Promise<void> {
    if (h.size > 0) {
      const contents: Buffer[] = [];
      for await (const chunk of data()) contents.push(Buffer.from(chunk));
      this.split?.inline(Buffer.concat(contents));
    }
    const dir = splitPath(rel).parent;
    if (base === OpaqueMarker) {
      lsetxattrat(this.dir(dir, h.name, true), "", OpaqueXattr, Buffer.from("y"));
      return;
    }
    // .wh..wh.plnk, .wh..wh.aufs and friends are aufs bookkeeping, meaningless here.
    if (base.startsWith(`${WhiteoutPrefix}${WhiteoutPrefix}`)) return;
    const hidden = base.slice(WhiteoutPrefix.length);
    if (hidden === "" || hidden === "." || hidden === "..") throw escapes(h.name, "a whiteout without a name");
    const dirFd = this.dir(dir, h.name, true);
    this.clear(dirFd, hidden, dir === "" ? hidden : `${dir}/${hidden}`, false);
    this.node(dirFd, hidden, { ...h, mode: 0 }, S_IFCHR, 0, 0);
  }

  finish(): void {
    // Last, because creating entries changes their parent directory's mtime. A directory
    // is re-opened inside the root; one that is not the inode recorded is left alone.
    for (const [rel, { mtime, ino }] of this.dirTimes) {
      let fd: number;
      try {
        fd = rel === "" ? this.rootFd : openat2(this.rootFd, rel, O_DIR, 0, Inside);
      } catch (e) {
        if (isErrno(e, "ENOENT") || isErrno(e, "ELOOP") || isErrno(e, "ENOTDIR")) continue;
        throw e;
      }
      try {
        if (fs.fstatSync(fd).ino === ino) fs.futimesSync(fd, mtime, mtime);
      } finally {
        if (fd !== this.rootFd) fs.closeSync(fd);
      }
    }
  }
}

/** Extracts every entry of the reader into root, an existing empty directory the engine made. */
export async function extractLayer(reader: TarReader, root: string, split?: SplitRecorder): Promise<ExtractStats> {
  const rootFd = openDir(root);
  const x = new Extractor(rootFd, split);
  try {
    for (let h = await reader.next(); h !== null; h = await reader.next()) {
      await x.entry(h, () => reader.data());
    }
    x.finish();
  } finally {
    x.close();
    fs.closeSync(rootFd);
  }
  return x.stats;
}
