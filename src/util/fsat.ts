// The *at syscalls Node has no API for (native/fsat.c): openat2, mknodat and the l*xattr
// family relative to a directory fd (and flock without waiting), for work inside an untrusted tree (an image layer, a
// container's upper directory) that must never be redirected by a symlink to the host; and
// readFiles, many small files read at once by a few threads; for myrunc, exitNow (an
// _exit) and spawnShim/reap (a spawn without a fork).
// Errors are shaped like Node's fs errors (code, errno, syscall), so isErrno() tests them.
//
// Node's own fs calls take the fds this returns (readSync, writeSync, fstatSync, fchownSync,
// fchmodSync, futimesSync, closeSync), and `fdPath(dirfd, name)` gives its path calls *at
// semantics for one component (mkdir, symlink, unlink, lchown, lutimes, readlink, lstat).
import fs from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { MydockerError } from "./errors.js";

interface Addon {
  openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): number;
  mknodat(dirfd: number, name: string, mode: number, major: number, minor: number): void;
  lsetxattrat(dirfd: number, name: string, xname: string, value: Buffer): void;
  llistxattrat(dirfd: number, name: string): string[];
  lgetxattrat(dirfd: number, name: string, xname: string): Buffer;
  mmapThreshold(bytes: number): void;
  flockShared(fd: number): boolean;
  spreadSubdirs(fd: number): boolean;
  readFiles(paths: string[]): (string | number)[];
  exitNow(status: number): never;
  spawnShim(path: string, stdin: boolean, output: boolean): [number, number];
  reap(pid: number): [number, number] | null;
  spawnPiped(file: string, argv: string[], stdinFd: number): [number, number, number];
  RESOLVE_NO_XDEV: number;
  RESOLVE_NO_MAGICLINKS: number;
  RESOLVE_NO_SYMLINKS: number;
  RESOLVE_BENEATH: number;
  RESOLVE_IN_ROOT: number;
  O_PATH: number;
}

// Loaded on first use: most commands (a `run` of an existing image) never need it.
let addon: Addon | undefined;
function load(): Addon {
  if (addon !== undefined) return addon;
  const file = fileURLToPath(new URL("../../../native/fsat.node", import.meta.url));
  try {
    // dlopen itself, not require's resolution and module records around it (~0.5 ms of a myrunc run).
    const mod = { exports: {} as Addon };
    process.dlopen(mod, file);
    addon = mod.exports;
  } catch (e) {
    throw new MydockerError("native_missing", `cannot load ${file} (build it: make -C native): ${(e as Error).message}`);
  }
  return addon;
}

// The kernel's values (include/uapi/linux/openat2.h): stable ABI, so they need no addon load.
export const RESOLVE_NO_XDEV = 0x01;
export const RESOLVE_NO_MAGICLINKS = 0x02;
export const RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08;
export const RESOLVE_IN_ROOT = 0x10;
/** O_PATH, which fs.constants lacks (x86-64 and arm64 share the value). */
export const O_PATH = 0o10000000;

/**
 * _exit(2) with STATUS: the process ends without Node's teardown (threads joined, heap
 * freed), for a command line that is through and wrote everything synchronously (myrunc).
 */
export function exitNow(status: number): never {
  return load().exitNow(status);
}

/**
 * The shim posix_spawn'd (no fork of this process) in its own session, in "/", with our
 * stdout and stderr (or /dev/null: output false), our stdin or /dev/null, and one end of a
 * socket pair at its fd 3: the other end is fd. Nothing reaps it but reap().
 */
export function spawnShim(path: string, stdin: boolean, output: boolean): { pid: number; fd: number } {
  const [pid, fd] = load().spawnShim(path, stdin, output);
  return { pid, fd };
}

/**
 * file (looked up in PATH) run with argv, posix_spawn'd (no fork of this process): its stdin
 * is stdinFd, its stdout and stderr pipes whose read ends come back. Nothing reaps it but reap().
 */
export function spawnPiped(file: string, argv: string[], stdinFd: number): { pid: number; stdout: number; stderr: number } {
  const [pid, stdout, stderr] = load().spawnPiped(file, argv, stdinFd);
  return { pid, stdout, stderr };
}

/** waitpid(2) without waiting: how the child ended (128+N when killed by signal N), or undefined while it runs. */
export function reap(pid: number): { exitCode: number; signal: number } | undefined {
  const got = load().reap(pid);
  return got ? { exitCode: got[0], signal: got[1] } : undefined;
}

/** flock(2) LOCK_SH without waiting: false when the lock is held alone by someone else. */
export function flockShared(fd: number): boolean {
  return load().flockShared(fd);
}

/** FS_TOPDIR_FL set on the directory fd (chattr +T); false when its file system has no such flag. */
export function spreadSubdirs(fd: number): boolean {
  return load().spreadSubdirs(fd);
}

/** openat2(2): path resolved from dirfd under the RESOLVE_* rules; O_CLOEXEC is always added. */
export function openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): number {
  return load().openat2(dirfd, path, flags, mode, resolve);
}

/** mknodat(2) of one component name in dirfd; mode holds the type bits (S_IFCHR, S_IFBLK, S_IFIFO). */
export function mknodat(dirfd: number, name: string, mode: number, major: number, minor: number): void {
  load().mknodat(dirfd, name, mode, major, minor);
}

/** Sets an xattr of name in dirfd (not following a symlink), or of dirfd itself when name is "". */
export function lsetxattrat(dirfd: number, name: string, xname: string, value: Buffer): void {
  load().lsetxattrat(dirfd, name, xname, value);
}

/** The xattr names of name in dirfd (not following a symlink), or of dirfd itself when name is "". */
export function llistxattrat(dirfd: number, name: string): string[] {
  return load().llistxattrat(dirfd, name);
}

/** One xattr's value of name in dirfd (not following a symlink), or of dirfd itself when name is "". */
export function lgetxattrat(dirfd: number, name: string, xname: string): Buffer {
  return load().lgetxattrat(dirfd, name, xname);
}

/**
 * A path that reaches the single component name inside the directory dirfd whatever
 * happens to the directory's host path: the kernel resolves /proc/self/fd/N to the open
 * directory itself, and Node's l* calls do not follow name's last component.
 */
export function fdPath(dirfd: number, name: string): string {
  if (name.includes("/") || name === "." || name === "..") {
    throw new MydockerError("invalid_name", `"${name}" is not a single path component`);
  }
  return name === "" ? `/proc/self/fd/${dirfd}` : `/proc/self/fd/${dirfd}/${name}`;
}

/** Opens the directory dir (a trusted host path) as the root of later *at calls. */
export function openDir(dir: string): number {
  return fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
}

/** mallopt(M_MMAP_THRESHOLD, bytes): allocations of at least bytes get their own mapping, given back to the system when freed. */
export function mmapThreshold(bytes: number): void {
  load().mmapThreshold(bytes);
}

const ERRNO_NAMES = new Map(Object.entries(os.constants.errno).map(([name, n]) => [n, name]));

/**
 * Many small files read whole at once, by a few threads when there are many: stats and ps
 * beside a thousand containers read thousands of cgroupfs, /proc and state files, each an
 * open, reads and a close from JavaScript otherwise. Each file's text, or the error that
 * reading it met, shaped as fs's errors (code, errno, syscall, path).
 */
export function readFiles(paths: string[]): (string | NodeJS.ErrnoException)[] {
  return load()
    .readFiles(paths)
    .map((v, i) => {
      if (typeof v === "string") return v;
      const code = ERRNO_NAMES.get(-v) ?? "EUNKNOWN";
      return Object.assign(new Error(`${code}: cannot read '${paths[i]}'`), { code, errno: v, syscall: "read", path: paths[i] });
    });
}
