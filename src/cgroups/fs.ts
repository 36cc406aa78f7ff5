// Small synchronous helpers over cgroupfs. Every cgroup file is opened without O_CREAT:
// a missing file means a missing controller, never a file we should make. O_TRUNC is
// what runc uses too: cgroupfs ignores it, and it keeps a fake tree honest.
import { closeSync, openSync, readdirSync, readSync, rmdirSync, statSync, constants, writeSync } from "node:fs";
import { totalmem } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isErrno, MydockerError } from "../util/errors.js";
import { PrefetchedFiles, type FileReader } from "../util/prefetched-files.js";
import { pollUntil } from "../util/poll.js";

/** One buffer for every read: cgroup files are small, and stats reads thousands of them. */
const READ_BUFFER = Buffer.alloc(64 * 1024);

/**
 * A cgroup file's content with one open and close, read into a buffer kept for all of them
 * (readFileSync adds an fstat and a buffer per file). Read until the end: a file of many
 * records (cgroup.procs) comes a page at a time.
 */
export function readText(file: string): string {
  const fd = openSync(file, constants.O_RDONLY);
  try {
    const full: Buffer[] = [];
    let used = 0;
    for (;;) {
      if (used === READ_BUFFER.length) {
        full.push(Buffer.from(READ_BUFFER));
        used = 0;
      }
      const n = readSync(fd, READ_BUFFER, used, READ_BUFFER.length - used, null);
      if (n === 0) break;
      used += n;
    }
    const rest = READ_BUFFER.subarray(0, used);
    return (full.length > 0 ? Buffer.concat([...full, rest]) : rest).toString("utf8").trim();
  } finally {
    closeSync(fd);
  }
}

/** A missing file, or one whose cgroup was removed between our open and read (ENODEV: a container that just ended). */
const MISSING = ["ENOENT", "ENODEV"];

/** A file's content; undefined when it is missing (MISSING). */
export function readOptional(file: string): string | undefined {
  try {
    return readText(file);
  } catch (e) {
    if (MISSING.some((code) => isErrno(e, code))) return undefined;
    throw e;
  }
}

/**
 * A reader of many cgroups' files read at once beforehand (stats of a thousand containers):
 * the files named, by a few threads; any other file when asked, as readOptional reads it.
 */
export function prefetchedReader(files: string[]): FileReader {
  const prefetched = new PrefetchedFiles(readOptional, MISSING);
  prefetched.prefetch(files);
  return (file) => prefetched.read(file)?.trim();
}

/** Number in a single-value file; the kernel's spellings of unlimited ("max", -1, 2^63 rounded down to a page) read as Infinity. */
export function readNumber(file: string, read: FileReader = readOptional): number | undefined {
  const text = read(file);
  if (text === undefined || text === "") return undefined;
  if (text === "max") return Infinity;
  const n = Number(text);
  return n >= 2 ** 62 || n === -1 ? Infinity : n;
}

/** Flat keyed files ("key value" per line): memory.stat, memory.events, cpu.stat, memory.oom_control. */
export function readKeyed(file: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of (readOptional(file) ?? "").split("\n")) {
    const [key, value] = line.split(" ");
    if (key && value !== undefined) out.set(key, Number(value));
  }
  return out;
}

/** The value of one key of a keyed file's text, without splitting the rest (stats reads thousands). */
export function keyedValue(text: string, key: string): number | undefined {
  const needle = `${key} `;
  // The text is trimmed: a line other than the first follows a newline.
  const found = text.startsWith(needle) ? 0 : text.indexOf(`\n${needle}`);
  if (found < 0) return undefined;
  const start = (found === 0 ? 0 : found + 1) + needle.length;
  const end = text.indexOf("\n", start);
  return Number(text.slice(start, end < 0 ? undefined : end));
}

let hostMemoryBytes: number | undefined;

/** The host's memory, the limit stats shows for an unlimited cgroup; one sysinfo(2) per process. */
export function hostMemory(): number {
  hostMemoryBytes ??= totalmem();
  return hostMemoryBytes;
}

export function writeValue(file: string, value: string | number): void {
  writeEach([{ file, value }]);
}

/**
 * Each value in order, with a write(2) of its own (the kernel takes one device rule per
 * write), opening each file once: a container's ~15 device rules would otherwise cost
 * ~15 opens and closes.
 */
export function writeEach(writes: { file: string; value: string | number }[]): void {
  const fds = new Map<string, number>();
  try {
    for (const { file, value } of writes) {
      let fd = fds.get(file);
      if (fd === undefined) {
        try {
          fd = openSync(file, constants.O_WRONLY | constants.O_TRUNC);
        } catch (e) {
          throw new MydockerError("cgroup_write", `cannot open ${file}: ${(e as Error).message}`);
        }
        fds.set(file, fd);
      }
      const text = String(value);
      try {
        writeSync(fd, text);
      } catch (e) {
        throw new MydockerError("cgroup_write", `cannot write "${text}" to ${file}: ${(e as Error).message}`);
      }
    }
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
}

export function isDir(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch (e) {
    if (isErrno(e, "ENOENT") || isErrno(e, "ENOTDIR")) return false;
    throw e;
  }
}

/** Names of the sub-cgroups (directories) directly below dir. */
export function childDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch (e) {
    if (isErrno(e, "ENOENT")) return [];
    throw e;
  }
}

/** dir and every sub-cgroup below it, deepest first (the order rmdir needs). */
function treeDeepestFirst(dir: string): string[] {
  if (!isDir(dir)) return [];
  return [...childDirs(dir).flatMap((c) => treeDeepestFirst(join(dir, c))), dir];
}

/** PIDs listed in cgroup.procs of dir and of every sub-cgroup below it. */
export function treePids(dir: string): number[] {
  return treeDeepestFirst(dir).flatMap((d) =>
    (readOptional(join(d, "cgroup.procs")) ?? "")
      .split("\n")
      .filter((l) => l !== "")
      .map(Number),
  );
}

/**
 * One rmdir, for the usual end of a container: its init died and took its pid namespace
 * along, leaving a cgroup with no tasks and no children. false when it is still busy.
 */
export function removeIfEmpty(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (e) {
    if (isErrno(e, "ENOENT")) return true;
    if (isErrno(e, "EBUSY") || isErrno(e, "ENOTEMPTY")) return false;
    throw new MydockerError("cgroup_remove", `cannot remove cgroup ${dir}: ${(e as Error).message}`);
  }
}

/** rmdir every cgroup of the tree; EBUSY (a task still leaving) is retried briefly. */
export async function removeCgroupTree(dir: string): Promise<void> {
  for (const d of treeDeepestFirst(dir)) {
    for (let attempt = 0; ; attempt++) {
      try {
        rmdirSync(d);
        break;
      } catch (e) {
        if (isErrno(e, "ENOENT")) break;
        if (!isErrno(e, "EBUSY") || attempt >= 40) {
          throw new MydockerError("cgroup_remove", `cannot remove cgroup ${d}: ${(e as Error).message}`);
        }
        await sleep(Math.min(5 * (attempt + 1), 50));
      }
    }
  }
}

/** Waits for done() (a freeze, an empty cgroup); a clear error when it does not come. */
export async function waitUntil(done: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  if (!(await pollUntil(done, timeoutMs))) throw new MydockerError("cgroup_timeout", `timed out waiting for ${what}`);
}

export function killPids(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch (e) {
      if (!isErrno(e, "ESRCH")) throw e;
    }
  }
}

/** "mydocker/abc" from "/mydocker/abc/"; refuses empty paths and "..". */
export function normalizeCgroupPath(path: string): string {
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.length === 0 || parts.includes("..")) {
    throw new MydockerError("invalid_cgroup_path", `invalid cgroup path "${path}"`);
  }
  return parts.join("/");
}
