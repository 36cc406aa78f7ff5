// Fills a new volume from the image, as docker does on first use: the merged view of the
// image's layer directories at the mount target is copied into the volume, with owners,
// modes, times, symlinks, device nodes and hard links. Both sides go through directory
// fds: the image's side is read as overlayfs shows it (image/overlay-view.ts), and the
// volume — which a running container may share and change meanwhile — is written one
// component at a time below its own directory fd, so no symlink planted in it can lead a
// write to the host.
import fs from "node:fs";
import { MergedDir, closeAll, isWhiteout, lstatAt, openDirAt, openRegularAt, resolveInView } from "../image/overlay-view.js";
import { MydockerError } from "../util/errors.js";
import { deviceNumbers } from "../util/device-numbers.js";
import { O_PATH, fdPath, mknodat, openDir } from "../util/fsat.js";

const S_IFMT = 0o170000;

function changed(name: string): MydockerError {
  return new MydockerError("ECOPYUP", `copying ${name} into the volume: it was changed meanwhile (is another container using the volume?)`);
}

/** Owner, mode and times of what was just made at name in dirfd (the inode itself, checked by its type; a symlink by its name). */
function applyMetadata(dirfd: number, name: string, st: fs.Stats): void {
  if (st.isSymbolicLink()) {
    fs.lchownSync(fdPath(dirfd, name), st.uid, st.gid);
    fs.lutimesSync(fdPath(dirfd, name), st.atime, st.mtime);
    return;
  }
  const fd = fs.openSync(fdPath(dirfd, name), O_PATH | fs.constants.O_NOFOLLOW);
  try {
    if ((fs.fstatSync(fd).mode & S_IFMT) !== (st.mode & S_IFMT)) throw changed(name);
    // The magic link is the inode just checked, whatever name points at now.
    const inode = `/proc/self/fd/${fd}`;
    fs.chownSync(inode, st.uid, st.gid);
    fs.chmodSync(inode, st.mode & 0o7777); // after chown, which clears set-id bits
    fs.utimesSync(inode, st.atime, st.mtime);
  } finally {
    fs.closeSync(fd);
  }
}

function copyFile(src: MergedDir, index: number, name: string, st: fs.Stats, dest: number): void {
  const from = openRegularAt(src.fds[index]!, name, st);
  try {
    const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
    const to = fs.openSync(fdPath(dest, name), flags, 0o600);
    try {
      const buffer = Buffer.alloc(Math.min(Math.max(st.size, 1), 1 << 20));
      for (let n; (n = fs.readSync(from, buffer, 0, buffer.length, null)) > 0; ) fs.writeSync(to, buffer, 0, n);
    } finally {
      fs.closeSync(to);
    }
  } finally {
    fs.closeSync(from);
  }
}

/** Hard links: the first copy of each inode by its path below the volume, linked again by walking there. */
class Links {
  private readonly first = new Map<string, string[]>();

  /** Links name in dest to the first copy of st's inode; false for an inode not seen yet (then remembered at path). */
  link(root: number, dest: number, name: string, st: fs.Stats, path: string[]): boolean {
    const key = `${st.dev}:${st.ino}`;
    const first = this.first.get(key);
    if (first === undefined) {
      this.first.set(key, path);
      return false;
    }
    const held: number[] = [];
    try {
      let dir = root;
      for (const part of first.slice(0, -1)) {
        const next = openDirAt(dir, part);
        if (next === undefined) throw changed(first.join("/"));
        held.push(next);
        dir = next;
      }
      fs.linkSync(fdPath(dir, first[first.length - 1]!), fdPath(dest, name));
    } finally {
      closeAll(held);
    }
    return true;
  }
}

function copyTree(src: MergedDir, root: number, dest: number, path: string[], links: Links): void {
  for (const [name, top] of src.names()) {
    const st = lstatAt(src.fds[top]!, name);
    if (st === undefined || isWhiteout(st)) continue;
    const here = [...path, name];
    if (st.isDirectory()) {
      const sub = src.child(name, top);
      if (sub === undefined) continue;
      try {
        fs.mkdirSync(fdPath(dest, name), { mode: 0o700 });
        const into = openDirAt(dest, name);
        if (into === undefined) throw changed(here.join("/"));
        try {
          copyTree(sub, root, into, here, links);
        } finally {
          fs.closeSync(into);
        }
        applyMetadata(dest, name, fs.fstatSync(sub.fds[0]!));
      } finally {
        sub.close();
      }
      continue;
    }
    if (st.nlink > 1 && links.link(root, dest, name, st, here)) continue;
    if (st.isFile()) copyFile(src, top, name, st, dest);
    else if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(fdPath(src.fds[top]!, name)), fdPath(dest, name));
    else if (st.isFIFO() || st.isCharacterDevice() || st.isBlockDevice()) {
      const { major, minor } = deviceNumbers(st.rdev);
      mknodat(dest, name, (st.mode & S_IFMT) | 0o600, major, minor);
    } else continue; // sockets belong to a running process, not to an image
    applyMetadata(dest, name, st);
  }
}

/**
 * Copies the image's content at containerPath into an empty volume directory, and gives the
 * volume directory the owner and mode of the image's directory. Does nothing when the volume
 * already has content or the image has no directory there (docker's copyExistingContents).
 * Extended attributes are not copied.
 */
export function copyUpFromImage(volumeDataDir: string, imageLayerDirs: readonly string[], containerPath: string): boolean {
  if (imageLayerDirs.length === 0) return false;
  const volume = openDir(volumeDataDir);
  try {
    if (fs.readdirSync(fdPath(volume, "")).length > 0) return false;
    const copied = resolveInView(imageLayerDirs, containerPath, (dir, name, found) => {
      const src = found.st.isDirectory() ? dir.child(name, found.index) : undefined;
      if (src === undefined) return false;
      try {
        copyTree(src, volume, volume, [], new Links());
        const st = fs.fstatSync(src.fds[0]!);
        fs.fchownSync(volume, st.uid, st.gid);
        fs.fchmodSync(volume, st.mode & 0o7777);
        fs.futimesSync(volume, st.atime, st.mtime);
      } finally {
        src.close();
      }
      return true;
    });
    return copied ?? false;
  } finally {
    fs.closeSync(volume);
  }
}
