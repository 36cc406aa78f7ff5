// Fills a new volume from the image, as docker does on first use: the merged view of the
// image's layer directories at the mount target is copied into the volume, with owners,
// modes, times, symlinks, device nodes and hard links (not xattrs).
//
// Both sides are read and written through directory fds. The image side is the overlay
// view (image/overlay-view.ts): its symlinks are interpreted inside the image, never
// followed to the host. The volume side may be in use by a running container (a named
// volume another container mounts) that can put a symlink where the copy is about to write:
// every entry is created exclusively in a directory held open (O_EXCL, O_NOFOLLOW, mkdirat,
// symlinkat, mknodat), so such a symlink makes the copy fail, never write through it.
import fs from "node:fs";
import path from "node:path";
import { MydockerError, isErrno } from "../../util/errors.js";
import { deviceNumbers } from "../../util/device-numbers.js";
import { O_PATH, fdPath, mknodat, openat2, openDir, RESOLVE_BENEATH, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS } from "../../util/fsat.js";
import { MergedDir, openRegularAt, resolveInView } from "../../image/overlay-view.js";

const CHUNK = 1 << 20;

function raced(what: string): MydockerError {
  return new MydockerError("ECOPYUP", `copying the image's files into the volume: ${what} was changed meanwhile (is another container using the volume?)`);
}

/** Owner, mode and times of a file we hold open (a directory or a regular file). */
function setMetadata(fd: number, st: fs.Stats): void {
  fs.fchownSync(fd, st.uid, st.gid);
  // After chown, which clears set-id bits.
  fs.fchmodSync(fd, st.mode & 0o7777);
  fs.futimesSync(fd, st.atime, st.mtime);
}

/** The same for a node or symlink just made as name in dirfd, checked to be that inode first. */
function setMetadataAt(dirfd: number, name: string, st: fs.Stats): void {
  if (st.isSymbolicLink()) {
    // lchown and lutimes never follow name; what they change stays in the volume.
    fs.lchownSync(fdPath(dirfd, name), st.uid, st.gid);
    fs.lutimesSync(fdPath(dirfd, name), st.atime, st.mtime);
    return;
  }
  let pathFd: number;
  try {
    pathFd = fs.openSync(fdPath(dirfd, name), O_PATH | fs.constants.O_NOFOLLOW);
  } catch (e) {
    if (isErrno(e, "ENOENT")) throw raced(name);
    throw e;
  }
  try {
    const made = fs.fstatSync(pathFd);
    if ((made.mode & fs.constants.S_IFMT) !== (st.mode & fs.constants.S_IFMT) || made.rdev !== st.rdev) throw raced(name);
    // Through the fd's magic link: the inode just checked, not whatever name is now.
    const self = `/proc/self/fd/${pathFd}`;
    fs.chownSync(self, st.uid, st.gid);
    fs.chmodSync(self, st.mode & 0o7777);
    fs.utimesSync(self, st.atime, st.mtime);
  } finally {
    fs.closeSync(pathFd);
  }
}

function copyFile(srcDir: number, destDir: number, name: string, st: fs.Stats): void {
  const from = openRegularAt(srcDir, name, st);
  try {
    let to: number;
    try {
      to = fs.openSync(fdPath(destDir, name), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    } catch (e) {
      if (isErrno(e, "EEXIST") || isErrno(e, "ELOOP")) throw raced(name);
      throw e;
    }
    try {
      const buf = Buffer.allocUnsafe(Math.min(Math.max(st.size, 1), CHUNK));
      for (let n = fs.readSync(from, buf, 0, buf.length, null); n > 0; n = fs.readSync(from, buf, 0, buf.length, null)) {
        for (let off = 0; off < n; ) off += fs.writeSync(to, buf, off, n - off);
      }
      setMetadata(to, st);
    } finally {
      fs.closeSync(to);
    }
  } finally {
    fs.closeSync(from);
  }
}

/** Hard links: the first copy's path below the volume, reopened without symlinks to link to it. */
function linkTo(destRoot: number, first: string, destDir: number, name: string): void {
  const parent = path.posix.dirname(first);
  const dirFd =
    parent === "."
      ? destRoot
      : openat2(destRoot, parent, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY, 0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  try {
    fs.linkSync(fdPath(dirFd, path.posix.basename(first)), fdPath(destDir, name));
  } finally {
    if (dirFd !== destRoot) fs.closeSync(dirFd);
  }
}

function exclusive(name: string, make: () => void): void {
  try {
    make();
  } catch (e) {
    if (isErrno(e, "EEXIST")) throw raced(name);
    throw e;
  }
}

interface Copy {
  destRoot: number;
  /** dev:ino of a multiply linked file -> where its first copy is, below the volume. */
  links: Map<string, string>;
}

function copyTree(src: MergedDir, destDir: number, rel: string, copy: Copy): void {
  for (const name of src.names().keys()) {
    const found = src.lookup(name);
    if (found === undefined) continue;
    const { st } = found;
    const srcDir = src.fds[found.index]!;
    const childRel = rel === "" ? name : `${rel}/${name}`;
    if (st.isDirectory()) {
      exclusive(name, () => fs.mkdirSync(fdPath(destDir, name), { mode: 0o700 }));
      const sub = src.child(name, found.index);
      if (sub === undefined) continue;
      let dir: number | undefined;
      try {
        try {
          dir = fs.openSync(fdPath(destDir, name), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
        } catch (e) {
          // What was made is no longer a directory: something else was put there.
          if (isErrno(e, "ENOTDIR") || isErrno(e, "ELOOP") || isErrno(e, "ENOENT")) throw raced(name);
          throw e;
        }
        copyTree(sub, dir, childRel, copy);
        setMetadata(dir, st);
      } finally {
        sub.close();
        if (dir !== undefined) fs.closeSync(dir);
      }
      continue;
    }
    const key = `${st.dev}:${st.ino}`;
    const first = st.nlink > 1 ? copy.links.get(key) : undefined;
    if (first !== undefined) {
      exclusive(name, () => linkTo(copy.destRoot, first, destDir, name));
      continue;
    }
    if (st.isFile()) copyFile(srcDir, destDir, name, st);
    else if (st.isSymbolicLink()) {
      const target = fs.readlinkSync(fdPath(srcDir, name));
      exclusive(name, () => fs.symlinkSync(target, fdPath(destDir, name)));
      setMetadataAt(destDir, name, st);
    } else if (st.isFIFO() || st.isCharacterDevice() || st.isBlockDevice()) {
      const { major, minor } = deviceNumbers(st.rdev);
      exclusive(name, () => mknodat(destDir, name, (st.mode & fs.constants.S_IFMT) | 0o600, major, minor));
      setMetadataAt(destDir, name, st);
    } else continue; // sockets belong to a running process, not to an image
    if (st.nlink > 1) copy.links.set(key, childRel);
  }
}

/**
 * Copies the image's content at containerPath into an empty volume directory, and gives the
 * volume directory the owner and mode of the image's directory. Does nothing when the volume
 * already has content or the image has no directory there (docker's copyExistingContents).
 */
export function copyUpFromImage(volumeDataDir: string, imageLayerDirs: readonly string[], containerPath: string): boolean {
  if (imageLayerDirs.length === 0) return false;
  const dest = openDir(volumeDataDir);
  try {
    if (fs.readdirSync(fdPath(dest, "")).length > 0) return false;
    return (
      resolveInView(imageLayerDirs, containerPath, (dir, name, found) => {
        if (!found.st.isDirectory()) return false;
        const src = dir.child(name, found.index);
        if (src === undefined) return false;
        try {
          copyTree(src, dest, "", { destRoot: dest, links: new Map() });
        } finally {
          src.close();
        }
        setMetadata(dest, found.st);
        return true;
      }) ?? false
    );
  } finally {
    fs.closeSync(dest);
  }
}
