// The per-container directory under the run root: <runRoot>/<id>/ with state.json
// (OCI state plus what the runtime needs to find the container again), the exit file, the
// exec FIFO, and the pid and runs files of a monitor that restarts its process.
import fs from "node:fs";
import path from "node:path";
import type { Hooks, NamespaceType, Process, State } from "../spec/runtime.js";
import { isErrno, MydockerError } from "../util/errors.js";
import { readIfExists, type FileReader } from "../util/prefetched-files.js";
import { removeTree } from "../util/remove-tree.js";
import { makeSpreadDir } from "../util/spread-dirs.js";

/** What state.json holds: the OCI state and the runtime's own fields. */
export interface StateRecord extends State {
  /** RFC 3339 time of create. */
  created: string;
  shimPid?: number;
  /** /proc/PID/stat start time of pid: tells our process from a later one with the same pid. */
  pidStartTime?: string;
  shimStartTime?: string;
  /** Path below the cgroup root(s), or null when the runtime manages no cgroups. */
  cgroupPath: string | null;
  rootfs: string;
  /** The kinds of namespace the container has (linux.namespaces[].type): what exec joins. */
  namespaces: NamespaceType[];
  /** The monitor restarts the process (it then takes SIGUSR2 as "stop restarting"). */
  monitorRestarts?: boolean;
  /** The spec's hooks that start and delete run. */
  hooks?: Pick<Hooks, "startContainer" | "poststart" | "poststop">;
  /** With startContainer hooks: the process whose confinement they run under. */
  process?: Process;
}

export interface ExitInfo {
  exitCode: number;
  signal: number;
  /** RFC 3339 with nanoseconds. */
  finishedAt: string;
}

export interface Restarts {
  count: number;
  /** RFC 3339 with nanoseconds: when the current run began. */
  startedAt: string;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

export function isContainerId(id: string): boolean {
  return ID.test(id) && id.length <= 1024;
}

/** The containers that have a state directory under the run root; other entries (the seccomp cache, .seccomp) are the runtime's own. */
export function containerIds(runRoot: string): string[] {
  try {
    return fs.readdirSync(runRoot).filter(isContainerId);
  } catch (e) {
    if (isErrno(e, "ENOENT")) return [];
    throw e;
  }
}

/** Whether the container has a state directory (a create may not have written its state file yet). */
export function containerExists(runRoot: string, id: string): boolean {
  return isContainerId(id) && fs.existsSync(path.join(runRoot, id));
}

// The file names below are joined to dir without path.join: the id is checked (no "/", not
// "." or ".."), and listings build them for every container.
export class StateDir {
  readonly dir: string;
  constructor(runRoot: string, readonly id: string) {
    if (!isContainerId(id)) throw new MydockerError("invalid-id", `invalid container id "${id}"`);
    this.dir = path.join(runRoot, id);
  }

  get stateFile(): string {
    return `${this.dir}/state.json`;
  }
  get pidFile(): string {
    return `${this.dir}/pid`;
  }
  get exitFile(): string {
    return `${this.dir}/exit`;
  }
  get runsFile(): string {
    return `${this.dir}/runs`;
  }
  get attachSocket(): string {
    return `${this.dir}/attach`;
  }
  execAttachSocket(name: string): string {
    return path.join(this.dir, `exec-${name}.attach`);
  }
  /** Where the monitor of a detached exec writes how it ended. */
  execExitFile(name: string): string {
    return path.join(this.dir, `exec-${name}.exit`);
  }
  get execFifo(): string {
    return `${this.dir}/exec.fifo`;
  }
  /** The lifecycle plans (lifecycle-plan.ts) of a handed-off container: bin/myrunc runs `$ROOT/$ID/start.plan` and `delete.plan` by these names. */
  get startPlan(): string {
    return `${this.dir}/start.plan`;
  }
  get deletePlan(): string {
    return `${this.dir}/delete.plan`;
  }
  /** The health check's plan, its status (the monitor's), and the running check's pid. */
  get healthPlan(): string {
    return `${this.dir}/health.plan`;
  }
  get healthStatus(): string {
    return `${this.dir}/health`;
  }
  get healthPid(): string {
    return `${this.dir}/health.pid`;
  }

  /** Makes the directory; refuses an id that is taken. */
  create(): void {
    makeSpreadDir(path.dirname(this.dir), 0o711);
    try {
      fs.mkdirSync(this.dir, { mode: 0o700 });
    } catch (e) {
      if (isErrno(e, "EEXIST")) throw new MydockerError("exists", `container "${this.id}" already exists`);
      throw e;
    }
  }

  exists(): boolean {
    return fs.existsSync(this.stateFile);
  }

  writeState(record: StateRecord): void {
    writeAtomic(this.stateFile, JSON.stringify(record));
  }

  /** read: where the file's text comes from (a listing reads many containers' at once). */
  readState(read: FileReader = readIfExists): StateRecord {
    const text = read(this.stateFile);
    if (text === undefined) throw new MydockerError("not-found", `container "${this.id}" does not exist`);
    return JSON.parse(text) as StateRecord;
  }

  /** The exit file the shim wrote when the container's process ended, if it did. */
  readExit(read?: FileReader): ExitInfo | undefined {
    return readExitFile(this.exitFile, read);
  }

  /** The pid the monitor wrote for the current run (a restart makes a new one). */
  readPid(): number | undefined {
    try {
      const n = Number(fs.readFileSync(this.pidFile, "utf8"));
      return Number.isInteger(n) && n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  }

  /** How many times the monitor restarted the process, and when the current run began. */
  readRuns(): Restarts | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.runsFile, "utf8");
    } catch (e) {
      if (isErrno(e, "ENOENT")) return undefined;
      throw e;
    }
    const [count = "0", nanos = "0"] = text.trim().split(" ");
    return { count: Number(count), startedAt: nanosToRfc3339(BigInt(nanos)) };
  }

  remove(): void {
    removeTree(this.dir);
  }
}

/** An exit file as the monitor writes it ("CODE SIGNAL UNIX_NANOS"), if it is there; read: where its text comes from. */
export function readExitFile(file: string, read?: FileReader): ExitInfo | undefined {
  let text: string | undefined;
  if (read) {
    text = read(file);
  } else {
    // Asked first: a failed open costs an exception, and most containers listed run.
    if (!fs.existsSync(file)) return undefined;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      if (isErrno(e, "ENOENT") || isErrno(e, "ENOTDIR")) return undefined;
      throw e;
    }
  }
  if (text === undefined) return undefined;
  const [code = "", signal = "", nanos = ""] = text.trim().split(" ");
  return { exitCode: Number(code), signal: Number(signal), finishedAt: nanosToRfc3339(BigInt(nanos || "0")) };
}

/** FILE whole or not at all: written beside it, then renamed over it. */
export function writeAtomic(file: string, data: string | Uint8Array): void {
  // A name of our own: another command may be writing the same file right now.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function nanosToRfc3339(nanos: bigint): string {
  const seconds = nanos / 1_000_000_000n;
  const frac = (nanos % 1_000_000_000n).toString().padStart(9, "0");
  return new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, `.${frac}Z`);
}

