// The OCI runtime: create/start/state/kill/delete, run in the foreground, exec.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import type { Readable, Writable } from "node:stream";
import path from "node:path";
import type { Cgroup, CgroupDriver } from "../cgroups/types.js";
import type { ContainerStatus, Process, Spec } from "../spec/runtime.js";
import { MydockerError } from "../util/errors.js";
import { compileCached, keepSeccomp, loadSeccomp } from "./seccomp-state.js";
import { compile, compileExec, compileHelperIn, compileHelperOver, type HelperProgram, type RestartPolicy, type RootfsMount } from "./compile.js";
import type { Plan } from "./plan.js";
import { cgroupResources } from "./device-rules.js";
import { launch } from "./launch.js";
import { isSameProcess, lastCap, processStartTime, waitFor, waitGone } from "./proc.js";
import type { Shim, ShimExit } from "./shim.js";
import { defaultShimPath } from "./shim-binary.js";
import { FORWARDED_SIGNALS, signalNumber } from "./signals.js";
import { Launcher } from "./launcher.js";
import { StateDir, type ExitInfo, type Restarts, type StateRecord } from "./state.js";
import { validateProcess, validateSpec } from "./validate.js";

export interface RuntimeOptions {
  /** Where container state directories live (e.g. /run/mydocker). */
  runRoot: string;
  shimPath?: string;
  /** null: the runtime creates no cgroups (the container stays in the caller's). */
  cgroups: CgroupDriver | null;
  /** Fork shims from a long-lived launcher (see launcher.ts): for a caller that starts many. */
  launcher?: boolean;
  debug?: (msg: string) => void;
}

export interface CreateOptions {
  /** root.path and bind sources are relative to it (default: the current directory). */
  bundle?: string;
  /** Mounted as the container's root (the engine's overlay) instead of binding root.path. */
  rootfsMount?: RootfsMount;
  /** The container's stdout/stderr in the CRI log format; without it they go nowhere (detached). */
  logPath?: string;
  logMaxBytes?: number;
  /** Run by the shim once the container has exited (e.g. the engine's cleanup). */
  exitCommand?: string[];
  /** Called while the container's init waits, before it runs any step: network setup etc. */
  onPid?: (pid: number) => Promise<void>;
  /** chroot instead of pivot_root. */
  noPivot?: boolean;
  /** The monitor serves attach clients (see attachSocket). */
  attach?: boolean;
  /** With attach: the process's stdin is open for the clients' input. */
  openStdin?: boolean;
  /** The monitor runs the process again after it exits (docker --restart); see stopRestarts. */
  restart?: RestartPolicy;
}

export interface RunOptions extends CreateOptions {
  /** "inherit": the container uses the caller's stdio (or a pty proxied on it); "ignore": none. */
  stdio: "inherit" | "ignore";
  /** false: the container's stdin is /dev/null even when stdio is "inherit" (docker without -i). */
  stdin?: boolean;
  /** Keep the state directory and cgroup after the exit (default: delete them, like `runc run`). */
  keepState?: boolean;
}

export interface ExecOptions {
  /** false: the process's stdin is /dev/null (docker exec without -i). */
  stdin?: boolean;
  /** Let the process run on its own: no stdio of the caller, nobody waits. */
  detach?: boolean;
  /** Also write the process's output to this CRI log file. */
  logPath?: string;
}

/** A process the caller waits for. */
export interface ProcessHandle {
  /** Host pid of the process. */
  pid: number;
  shimPid: number;
  /** Resolves when it exited (for run: after the state was cleaned up, unless keepState). */
  wait(): Promise<ShimExit>;
  signal(sig: string | number): void;
}
export type RunHandle = ProcessHandle;

export interface ContainerState extends StateRecord {
  exit?: ExitInfo;
  /** Set once the monitor restarted the process (CreateOptions.restart). */
  restarts?: Restarts;
}

/** A process with piped stdio: a helper working on a container's files. */
export interface PipedProcess {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  wait(): Promise<ShimExit>;
}

/** Where a helper runs: inside a running container, or over a stopped container's files. */
export type HelperTarget = { id: string } | { spec: Spec; rootfsMount?: RootfsMount; noPivot?: boolean };

/** What a bind mount's target is made as: a file for a file, else a directory. */
function bindSourceKind(p: string): "file" | "dir" {
  return fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() === false ? "file" : "dir";
}

/** How often start checks that the process it releases is still there. */
const START_WATCH_MS = 100;

/** How long delete waits for a killed container and its shim to go. */
const KILL_WAIT_MS = 5000;

export class Runtime {
  private readonly runRoot: string;
  /** The static shim binary; also a container's init when called mydocker-init. */
  readonly shimPath: string;
  private readonly cgroups: CgroupDriver | null;
  private readonly debug: (msg: string) => void;
  private readonly useLauncher: boolean;
  private launcher?: Promise<Launcher>;

  constructor(o: RuntimeOptions) {
    this.runRoot = o.runRoot;
    this.shimPath = o.shimPath ?? defaultShimPath();
    this.cgroups = o.cgroups;
    this.debug = o.debug ?? (() => {});
    this.useLauncher = o.launcher ?? false;
  }

  /** Lets the launcher go (shims it started live on). */
  close(): void {
    void this.launcher?.then((l) => l.close(), () => {});
    this.launcher = undefined;
  }

  /** The launcher, started on first use and again should it die (shims with stdio "pipe" are spawned). */
  private async launcherFor(): Promise<Launcher | undefined> {
    if (!this.useLauncher) return undefined;
    const running = await this.launcher?.catch(() => undefined);
    if (running?.alive) return running;
    this.launcher = Launcher.start(this.shimPath);
    return this.launcher;
  }

  /** OCI create: the container's init is set up and waits for start. */
  async create(id: string, input: Spec, opts: CreateOptions = {}): Promise<ContainerState> {
    await this.launchContainer(id, input, opts, "create");
    return this.state(id);
  }

  /** OCI start: lets a created container exec its process. */
  async start(id: string): Promise<void> {
    const sd = new StateDir(this.runRoot, id);
    const st = this.state(id);
    if (st.status !== "created") {
      throw new MydockerError("bad-state", `container "${id}" is ${st.status}: only a created container can be started`);
    }
    // Our open returns once the child opened the write side; it then writes one byte, which
    // must be read before we close (else its write fails) and which says it is going to exec.
    // A child that died first would leave the open blocked for good: a watchdog then opens
    // the write side itself, and no byte comes.
    const watchdog = setInterval(() => {
      if (st.pid !== undefined && st.pidStartTime && isSameProcess(st.pid, st.pidStartTime)) return;
      try {
        fs.closeSync(fs.openSync(sd.execFifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
      } catch {
        // Not open for reading yet (ENXIO): the next round.
      }
    }, START_WATCH_MS);
    let got = 0;
    try {
      const fifo = await fs.promises.open(sd.execFifo, fs.constants.O_RDONLY);
      try {
        got = (await fifo.read(Buffer.alloc(1), 0, 1)).bytesRead;
      } finally {
        await fifo.close();
      }
    } finally {
      clearInterval(watchdog);
    }
    if (got !== 1) throw new MydockerError("bad-state", `container "${id}": its process ended before it was started`);
    fs.rmSync(sd.execFifo, { force: true });
    sd.writeState({ ...sd.readState(), status: "running" });
  }

  /** Creates and starts in one go, in the foreground: the caller waits on the handle. */
  async run(id: string, input: Spec, opts: RunOptions): Promise<RunHandle> {
    const { shim, pid } = await this.launchContainer(id, input, opts, "run");
    const cleanup = async (exit: ShimExit): Promise<ShimExit> => {
      if (opts.keepState) return exit;
      // Somebody may have deleted it meanwhile; the exit status is what the caller waits for.
      await this.delete(id, { force: true }).catch((e: Error) => this.debug(`run ${id}: cleanup: ${e.message}`));
      return exit;
    };
    const exited = shim.exited.then(cleanup);
    return { pid, shimPid: shim.shimPid, wait: () => exited, signal: (sig) => signalProcess(pid, sig, shim) };
  }

  /** Starts another process in a running container. */
  async exec(id: string, input: Process, opts: ExecOptions = {}): Promise<ProcessHandle> {
    const st = this.state(id);
    if (st.status !== "running" || st.pid === undefined) {
      throw new MydockerError("bad-state", `container "${id}" is ${st.status}: exec needs a running container`);
    }
    const proc = validateProcess(input);
    const namespaces = new StateDir(this.runRoot, id).namespaces(st);
    const cgroup = st.cgroupPath === null ? undefined : this.cgroups?.open(st.cgroupPath);
    const cgroupJoin = cgroup?.selfJoinFiles();
    const plan = compileExec({ pid: st.pid, namespaces, seccomp: loadSeccomp(new StateDir(this.runRoot, id).dir) }, proc, {
      lastCap: lastCap(),
      cgroupJoin,
      cloneCgroup: cgroup?.cloneInto(),
      detach: opts.detach,
      log: opts.logPath ? { path: opts.logPath, maxBytes: 0 } : undefined,
      forwardSignals: opts.detach ? undefined : [...FORWARDED_SIGNALS],
    });
    const { shim, pid } = await launch({
      shimPath: this.shimPath,
      plan: () => plan,
      stdio: opts.detach ? "ignore" : "inherit",
      launcher: await this.launcherFor(),
      stdin: opts.stdin,
      until: "exec",
      debug: this.debug,
    });
    if (opts.detach) shim.release();
    const wait = opts.detach
      ? () => Promise.reject(new MydockerError("detached", "a detached exec cannot be waited for"))
      : () => shim.exited;
    return { pid, shimPid: shim.shimPid, wait, signal: (sig) => signalProcess(pid, sig, shim) };
  }

  /**
   * Runs a static host program over a container's files with piped stdio (cp's tar): in
   * a running container's mount namespace, or over a stopped one's root and volumes
   * mounted in a namespace of its own. Nothing of it outlives the process.
   */
  async helper(target: HelperTarget, h: HelperProgram): Promise<PipedProcess> {
    let plan: Plan;
    if ("id" in target) {
      const st = this.state(target.id);
      if ((st.status !== "running" && st.status !== "paused") || st.pid === undefined) {
        throw new MydockerError("bad-state", `container "${target.id}" is ${st.status}: it has no mount namespace to work in`);
      }
      plan = compileHelperIn(st.pid, h);
    } else {
      const spec = validateSpec(target.spec);
      plan = compileHelperOver(spec, { bundle: "/", rootfsMount: target.rootfsMount, noPivot: target.noPivot, sourceKind: bindSourceKind }, h);
    }
    const { shim } = await launch({ shimPath: this.shimPath, plan: () => plan, stdio: "pipe", until: "exec", debug: this.debug });
    return { ...shim.pipes, wait: () => shim.exited };
  }

  /** Where a container's monitor serves attach clients (created with attach). */
  attachSocket(id: string): string {
    return new StateDir(this.runRoot, id).attachSocket;
  }

  state(id: string): ContainerState {
    const sd = new StateDir(this.runRoot, id);
    let rec = sd.readState();
    const restarts = rec.monitorRestarts ? sd.readRuns() : undefined;
    if (restarts) {
      // The monitor ran the process again: the current run's pid is in its pid file.
      const pid = sd.readPid();
      if (pid !== undefined && pid !== rec.pid) rec = { ...rec, pid, pidStartTime: processStartTime(pid) };
    }
    const exit = sd.readExit();
    return { ...rec, status: this.status(sd, rec, exit), ...(exit ? { exit } : {}), ...(restarts ? { restarts } : {}) };
  }

  /** Tells a monitor that restarts its process to stop doing so (docker stop, docker kill). */
  stopRestarts(id: string): void {
    const rec = new StateDir(this.runRoot, id).readState();
    if (!rec.monitorRestarts || rec.shimPid === undefined || !rec.shimStartTime || !isSameProcess(rec.shimPid, rec.shimStartTime)) return;
    try {
      process.kill(rec.shimPid, "SIGUSR2");
    } catch {
      // The monitor just ended: nothing left to restart.
    }
  }

  list(): ContainerState[] {
    let ids: string[];
    try {
      ids = fs.readdirSync(this.runRoot);
    } catch {
      return [];
    }
    const out: ContainerState[] = [];
    for (const id of ids) {
      // Dot entries are the runtime's own (.seccomp), never a container's (ids start with a letter or digit).
      if (id.startsWith(".")) continue;
      try {
        out.push(this.state(id));
      } catch (e) {
        this.debug(`list: skipping ${id}: ${(e as Error).message}`);
      }
    }
    return out;
  }

  /** Sends a signal to the container's init (all: to every process in its cgroup). */
  async kill(id: string, sig: string | number, opts: { all?: boolean } = {}): Promise<void> {
    const st = this.state(id);
    const num = signalNumber(sig);
    if (st.status === "stopped" || st.pid === undefined) {
      throw new MydockerError("bad-state", `container "${id}" is not running`);
    }
    const cgroup = this.cgroupOf(st);
    const pids = opts.all && cgroup ? cgroup.pids() : [st.pid];
    for (const pid of pids) sendSignal(pid, num);
    if (st.status === "paused" && num === signalNumber("KILL")) cgroup?.thaw();
  }

  /** Removes a stopped container (force: kills it first): its cgroup and its state directory. */
  async delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    const sd = new StateDir(this.runRoot, id);
    if (!sd.exists() && fs.existsSync(sd.dir)) {
      // A create killed before its state file: nothing but the directory was made yet (its
      // shim, waiting for a plan, ends with its caller).
      sd.remove();
      return;
    }
    const st = this.state(id);
    const cgroup = this.cgroupOf(st);
    if (st.status !== "stopped") {
      if (!opts.force) {
        throw new MydockerError("bad-state", `cannot delete container "${id}" that is ${st.status} (stop it, or force)`);
      }
      if (st.pid !== undefined) sendSignal(st.pid, signalNumber("KILL"));
      if (cgroup) {
        await cgroup.killAll();
        try {
          cgroup.thaw();
        } catch (e) {
          // The killed process's monitor ran its exit command, which released the cgroup
          // meanwhile (a loaded machine, or many removes at once): nothing is left to thaw.
          if (this.cgroupOf(st)) throw e;
        }
      }
    }
    // The shim writes the exit file into the directory after it reaped the process, and
    // nothing after it: once it is there, there is nothing to wait for. Not the shim's exit:
    // after the exit file it may become the exit command, which may well be calling us.
    if (!st.exit) {
      if (st.pid !== undefined && st.pidStartTime) await waitGone(st.pid, st.pidStartTime, KILL_WAIT_MS);
      const shim = st.shimPid !== undefined && st.shimStartTime ? { pid: st.shimPid, start: st.shimStartTime } : undefined;
      if (shim) await waitFor(() => sd.readExit() !== undefined || !isSameProcess(shim.pid, shim.start), KILL_WAIT_MS);
    }
    await cgroup?.destroy();
    sd.remove();
  }

  async pause(id: string): Promise<void> {
    const cgroup = this.requireCgroup(id, "running");
    await cgroup.freeze();
  }

  async resume(id: string): Promise<void> {
    this.requireCgroup(id, "paused").thaw();
  }

  private requireCgroup(id: string, status: ContainerStatus): Cgroup {
    const st = this.state(id);
    if (st.status !== status) throw new MydockerError("bad-state", `container "${id}" is ${st.status}, not ${status}`);
    const cgroup = this.cgroupOf(st);
    if (!cgroup) throw new MydockerError("unsupported", `container "${id}" has no cgroup to freeze`);
    return cgroup;
  }

  private cgroupOf(st: StateRecord): Cgroup | undefined {
    return st.cgroupPath === null ? undefined : this.cgroups?.open(st.cgroupPath);
  }

  private status(sd: StateDir, rec: StateRecord, exit: ExitInfo | undefined): ContainerStatus {
    if (exit) return "stopped";
    const alive = (pid?: number, start?: string) => pid !== undefined && start !== undefined && isSameProcess(pid, start);
    if (rec.status === "creating") return alive(rec.shimPid, rec.shimStartTime) ? "creating" : "stopped";
    // Between the process's end and its exit file the shim is still at work: not stopped yet,
    // so that "stopped" always comes with the exit status. A shim killed with -9 writes none.
    if (!alive(rec.pid, rec.pidStartTime)) return alive(rec.shimPid, rec.shimStartTime) ? "running" : "stopped";
    if (fs.existsSync(sd.execFifo)) return "created";
    return this.cgroupOf(rec)?.isFrozen() ? "paused" : "running";
  }

  /** create and run: state directory, cgroup, plan, shim; on failure nothing is left behind. */
  private async launchContainer(
    id: string,
    input: Spec,
    opts: CreateOptions & { stdio?: "inherit" | "ignore"; stdin?: boolean },
    mode: "create" | "run",
  ): Promise<{ shim: Shim; pid: number }> {
    const spec = validateSpec(input);
    const bundle = path.resolve(opts.bundle ?? ".");
    const rootfs = path.resolve(bundle, spec.root?.path ?? "rootfs");
    const sd = new StateDir(this.runRoot, id);
    sd.create();
    let cgroup: Cgroup | undefined;
    try {
      const seccomp = spec.linux?.seccomp ? compileCached(this.runRoot, spec.linux.seccomp) : undefined;
      const cgroupPath = this.cgroups ? (spec.linux?.cgroupsPath ?? `mydocker/${id}`) : null;
      const detached = mode === "create" || opts.stdio === "ignore";
      const restart = opts.restart && mode === "create" ? { ...opts.restart, runsFile: sd.runsFile } : undefined;
      const record: StateRecord = {
        ociVersion: spec.ociVersion,
        id,
        status: "creating",
        bundle,
        ...(spec.annotations ? { annotations: spec.annotations } : {}),
        created: new Date().toISOString(),
        cgroupPath,
        rootfs,
        namespaces: (spec.linux?.namespaces ?? []).map((n) => n.type),
        ...(restart ? { monitorRestarts: true } : {}),
      };
      const launched = await launch({
        shimPath: this.shimPath,
        // The shim runs first and waits for its plan. The state file is written then, once,
        // before anything needs undoing (the cgroup): while "creating", a live shim is what
        // tells this container from the debris of a crash (a shim whose caller died before
        // it had its plan reads the end of the socket and exits). Once more when the
        // process runs: each write of a state file costs a new inode.
        plan: (shimPid) => {
          Object.assign(record, { shimPid, shimStartTime: processStartTime(shimPid) });
          sd.writeState(record);
          if (mode === "create") makeFifo(sd.execFifo);
          if (this.cgroups && cgroupPath !== null) cgroup = this.cgroups.create(cgroupPath, cgroupResources(spec));
          const plan = compile(spec, {
            bundle,
            seccomp: seccomp?.filter,
            lastCap: lastCap(),
            rootfsMount: opts.rootfsMount,
            noPivot: opts.noPivot,
            cgroupHierarchies: cgroup?.hierarchies(),
            sourceKind: bindSourceKind,
            execFifo: mode === "create" ? sd.execFifo : undefined,
            detach: detached,
            log: opts.logPath ? { path: opts.logPath, maxBytes: opts.logMaxBytes ?? 0 } : undefined,
            // Only a monitor that restarts the process has a pid the caller does not hear of.
            pidFile: restart ? sd.pidFile : undefined,
            exitFile: sd.exitFile,
            exitCommand: opts.exitCommand,
            forwardSignals: detached ? undefined : [...FORWARDED_SIGNALS],
            attachSocket: opts.attach ? sd.attachSocket : undefined,
            openStdin: opts.attach && opts.openStdin,
            restart,
            cgroupJoin: cgroup?.selfJoinFiles(),
            cloneCgroup: cgroup?.cloneInto(),
            sync: opts.onPid !== undefined,
          });
          if (seccomp) keepSeccomp(sd.dir, seccomp.file);
          return plan;
        },
        stdio: detached ? "ignore" : "inherit",
        launcher: await this.launcherFor(),
        stdin: opts.stdin,
        until: mode === "create" ? "ready" : "exec",
        // The child moves itself into the cgroup first thing (cgroupjoin); then the caller's setup.
        onPid: opts.onPid,
        debug: this.debug,
      });
      const { shim, pid } = launched;
      sd.writeState({ ...record, status: mode === "create" ? "created" : "running", pid, pidStartTime: processStartTime(pid) });
      if (mode === "create") shim.release();
      return launched;
    } catch (e) {
      await cgroup?.destroy();
      sd.remove();
      throw e;
    }
  }
}

function makeFifo(file: string): void {
  // Node has no mkfifo(3); coreutils' mkfifo is everywhere the runtime can run (Linux, root).
  const r = spawnSync("mkfifo", ["-m", "0600", file]);
  if (r.status !== 0) {
    throw new MydockerError("fifo", `mkfifo ${file}: ${r.error?.message ?? r.stderr.toString().trim()}`);
  }
}

function sendSignal(pid: number, sig: number): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
}

function signalProcess(pid: number, sig: string | number, shim: Shim): void {
  // After the exit the pid may belong to someone else.
  if (!shim.hasExited) sendSignal(pid, signalNumber(sig));
}

