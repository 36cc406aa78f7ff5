// The engine: images, containers and their lifecycle over the OCI runtime. The CLI is a
// thin layer over this class, and Node programs use it directly.
import fs from "node:fs";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { isMainThread } from "node:worker_threads";
import { hasDb, openDb, type Db } from "../store/db.js";
import { ImageStore, type ImageChanges, type ImageRecord } from "../image/index.js";
import { DEFAULT_PATH, Runtime, type ContainerState as RuntimeState, type HelperTarget, type ProcessHandle, type RestartPolicy, type RunHandle } from "../runtime/index.js";
import { detectCgroupDriver } from "../cgroups/index.js";
import type { CgroupDriver } from "../cgroups/types.js";
import type { Spec } from "../spec/runtime.js";
import { MydockerError } from "../util/errors.js";
import { removeTree } from "../util/remove-tree.js";
import { ContainerStore, type ContainerRecord, type ContainerState } from "./container-store.js";
import { PendingOps, type PendingOp } from "./pending-ops.js";
import type { CreateOptions } from "./run-options.js";
import { containerDir, defaultRoots, type EngineRoots } from "./paths.js";
import { buildSpec } from "./spec-builder.js";
import { hostDevices } from "./host-devices.js";
import { ensureLayeredDir, hostRootIsInitramfs, readLayeredFile } from "./image-files.js";
import { makeBusyboxRootfs, tarDirectory } from "./busybox.js";
import { generateId, generateName, validateName, resolveContainer } from "./names.js";
import { newContainerRecord } from "./container-factory.js";
import { isAnonymous, VolumeStore } from "./volumes.js";
import { treeSize } from "./disk-usage.js";
import { containerLogs, execInContainer, killContainer, stopContainer, waitContainer, type ExecRequest } from "./lifecycle.js";
import type { LogEntry, ReadLogsOptions } from "./logs.js";
import { containerInspect } from "./inspect.js";
import { AttachSession, type AttachIo } from "./attach.js";
import { copyFromContainer, copyToContainer, type CopyOptions } from "./copy.js";
import { commitContainer, exportContainer, type CommitOptions } from "./commit.js";
import { imageVolumeSpecs, toOciMounts } from "./volume-mounts.js";

/** docker's --restart as the monitor carries it out; "no" is none. */
function restartPolicy(c: ContainerRecord): RestartPolicy | undefined {
  const p = c.hostConfig.RestartPolicy;
  switch (p.Name) {
    case "always":
    case "unless-stopped":
      return { onFailureOnly: false, maxCount: 0 };
    case "on-failure":
      return { onFailureOnly: true, maxCount: p.MaximumRetryCount };
    default:
      return undefined;
  }
}

export interface EngineOptions extends Partial<EngineRoots> {
  /** Called with diagnostic lines (`--debug`). */
  debug?: (msg: string) => void;
  /** Where "Unable to find image …" style notices go (stderr for the CLI). */
  notice?: (msg: string) => void;
  /**
   * Start shims through a long-lived launcher process rather than by forking this one
   * (default true): cheaper for a program that runs many containers. The command line,
   * which runs one, turns it off.
   */
  launcher?: boolean;
}

export interface RunResult {
  id: string;
  exitCode: number;
}

export interface ForegroundIo {
  /** "inherit": the caller's stdio (a pty on it with tty); "ignore": none. */
  stdio: "inherit" | "ignore";
  /** false: the container reads /dev/null (docker without -i). Default: true. */
  stdin?: boolean;
}

const BUSYBOX_NAMES = new Set(["busybox", "busybox:latest", "docker.io/library/busybox:latest", "library/busybox", "docker.io/library/busybox"]);
const ACTIVE = new Set(["running", "paused", "restarting", "created"]);
const isRunning = (c: ContainerRecord) => c.state.status === "running" || c.state.status === "paused" || c.state.status === "restarting";
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../bin/mydocker");
const NEVER = "0001-01-01T00:00:00Z";

/**
 * As dockerd: the engine's files (layers, writable layers, logs, state) get the modes it
 * asks for, not whatever the caller's umask would cut from them. A worker thread cannot set
 * it and shares its process's.
 */
function fixUmask(): void {
  if (isMainThread) process.umask(0o022);
}

export class Engine {
  readonly roots: EngineRoots;
  private readonly debug: (msg: string) => void;
  private readonly notice: (msg: string) => void;
  private dbHandle?: Db;
  private imageStore?: ImageStore;
  private containerStore?: ContainerStore;
  private volumeStore?: VolumeStore;
  private pendingStore?: PendingOps;
  private rt?: Runtime;
  private cg?: CgroupDriver;
  private readonly useLauncher: boolean;

  constructor(opts: EngineOptions = {}) {
    for (const [what, dir] of [["root", opts.root], ["runroot", opts.runRoot]] as const) {
      // path.resolve("") is the current directory: the engine would take it over.
      if (dir === "") throw new MydockerError("EINVAL", `the ${what} directory is empty: give a path (--${what} DIR)`);
    }
    const d = defaultRoots();
    this.roots = {
      root: path.resolve(opts.root ?? d.root),
      runRoot: path.resolve(opts.runRoot ?? d.runRoot),
      cgroupParent: opts.cgroupParent ?? d.cgroupParent,
    };
    this.debug = opts.debug ?? (() => {});
    this.notice = opts.notice ?? (() => {});
    this.useLauncher = opts.launcher ?? true;
    fixUmask();
  }

  private get db(): Db {
    this.dbHandle ??= openDb(this.roots.root);
    return this.dbHandle;
  }

  get images(): ImageStore {
    this.imageStore ??= new ImageStore(this.db, this.roots.root);
    return this.imageStore;
  }

  get volumes(): VolumeStore {
    this.volumeStore ??= new VolumeStore(this.db, this.roots.root);
    return this.volumeStore;
  }

  get containers(): ContainerStore {
    this.containerStore ??= new ContainerStore(this.db);
    return this.containerStore;
  }

  private get pendingOps(): PendingOps {
    this.pendingStore ??= new PendingOps(this.db);
    return this.pendingStore;
  }

  get cgroups(): CgroupDriver {
    this.cg ??= detectCgroupDriver();
    return this.cg;
  }

  get runtime(): Runtime {
    this.rt ??= new Runtime({ runRoot: this.roots.runRoot, cgroups: this.cgroups, debug: this.debug, launcher: this.useLauncher });
    return this.rt;
  }

  close(): void {
    this.rt?.close();
    this.rt = undefined;
    this.dbHandle?.close();
    this.dbHandle = undefined;
    this.imageStore = undefined;
    this.containerStore = undefined;
    this.volumeStore = undefined;
    this.pendingStore = undefined;
  }

  /** Finds an image, making busybox from the host's static binary when it is asked for and missing. */
  async ensureImage(ref: string): Promise<ImageRecord> {
    const found = this.images.resolve(ref);
    if (found) return found;
    if (!BUSYBOX_NAMES.has(ref)) {
      throw new MydockerError("ENOIMAGE", `Unable to find image '${ref}' locally: import, load or pull it first`);
    }
    this.notice(`Unable to find image 'busybox:latest' locally`);
    this.notice("latest: making busybox from the host's static busybox (/bin/busybox)");
    const tmp = fs.mkdtempSync(path.join(this.tmpDir(), "busybox-"));
    try {
      makeBusyboxRootfs(tmp);
      const tar = tarDirectory(tmp);
      const [image] = await Promise.all([
        this.images.importRootfsTar(tar, "busybox:latest", {
          changes: { config: { Cmd: ["sh"], Env: [`PATH=${DEFAULT_PATH}`] }, comment: "made from the host's /bin/busybox" },
        }),
        tar.done,
      ]);
      this.notice(`Status: Downloaded newer image for busybox:latest`);
      return image;
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }

  private tmpDir(): string {
    const d = path.join(this.roots.root, "tmp");
    fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    return d;
  }

  /** Creates a container (docker create): its record and its writable layer; nothing runs yet. */
  async create(opts: CreateOptions): Promise<string> {
    let image: ImageRecord | undefined;
    if (opts.rootfs) {
      if (!fs.statSync(opts.rootfs, { throwIfNoEntry: false })?.isDirectory()) {
        throw new MydockerError("EINVAL", `--rootfs ${opts.rootfs}: not a directory`);
      }
    } else if (opts.image) {
      image = await this.ensureImage(opts.image);
    } else {
      throw new MydockerError("EINVAL", "an image or --rootfs is required");
    }
    if (opts.name !== undefined) validateName(opts.name);
    const id = generateId();
    const record = newContainerRecord(id, opts.name ?? this.freeName(), opts, image);
    const specs = imageVolumeSpecs(image?.config.config?.Volumes, opts.volumes ?? []);
    const prepared = toOciMounts([...(opts.volumes ?? []), ...specs], this.volumes, image ? this.images.layerDirs(image) : [opts.rootfs!]);
    record.hostConfig.Mounts = [...record.hostConfig.Mounts, ...prepared.mounts];
    record.hostConfig.Volumes = prepared.volumes;
    if (record.config.Cmd.length === 0 && (record.config.Entrypoint ?? []).length === 0) {
      throw new MydockerError("ENOCMD", "no command specified: give a command after the image name");
    }
    const dir = containerDir(this.roots, id);
    fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
    fs.mkdirSync(path.join(dir, "upper"), { recursive: true, mode: 0o755 });
    fs.mkdirSync(path.join(dir, "work"), { mode: 0o700 });
    try {
      this.insertNamed(record, opts.name === undefined);
    } catch (e) {
      this.removeFiles(record, true);
      throw e;
    }
    return id;
  }

  /** A generated name nobody has, asked of the name index one candidate at a time. */
  private freeName(): string {
    return generateName({ has: (name) => this.containers.idByName(name) !== undefined });
  }

  /** Inserts the record; a generated name another command took meanwhile is generated again. */
  private insertNamed(record: ContainerRecord, generated: boolean): void {
    for (let attempt = 1; ; attempt++) {
      try {
        this.containers.insert(record);
        return;
      } catch (e) {
        if (!generated || attempt >= 5 || !(e instanceof MydockerError) || e.code !== "ENAMEINUSE") throw e;
        record.name = this.freeName();
      }
    }
  }

  /** A container by full id, unique id prefix or name. */
  resolve(query: string): ContainerRecord {
    const id = resolveContainer(this.containers, query);
    return this.reconcile(this.containers.get(id)!);
  }

  /** The layer directories of a container's root, topmost first (its own upper layer first). */
  layerDirs(c: ContainerRecord): string[] {
    if (c.hostConfig.Rootfs) return [c.hostConfig.Rootfs];
    const image = this.images.resolve(c.imageId);
    if (!image) throw new MydockerError("ENOIMAGE", `the image of container ${c.id.slice(0, 12)} (${c.imageId}) is gone`);
    return [path.join(containerDir(this.roots, c.id), "upper"), ...this.images.layerDirs(image)];
  }

  private get noPivot(): boolean {
    this.initramfs ??= hostRootIsInitramfs();
    if (this.initramfs) this.debug("the host's root is an initramfs, where pivot_root cannot work: switching roots with chroot");
    return this.initramfs;
  }

  private initramfs?: boolean;

  /** The container's OCI spec, its root at rootfs; layers are read for its user and group names. */
  specFor(c: ContainerRecord, rootfs: string, layers = this.layerDirs(c)): Spec {
    const readFile = (p: string) => readLayeredFile(layers, p);
    return buildSpec(c, { rootfs, readFile, cgroupParent: this.roots.cgroupParent, initBinary: this.runtime.shimPath, hostDevices });
  }

  /** What the runtime needs to make the container's root; `run` also gets its working directory made. */
  private runtimeInput(c: ContainerRecord, purpose: "run" | "files") {
    const noPivot = this.noPivot;
    const layers = this.layerDirs(c);
    if (purpose === "run" && c.config.WorkingDir) ensureLayeredDir(layers, c.config.WorkingDir);
    if (c.hostConfig.Rootfs) return { spec: this.specFor(c, c.hostConfig.Rootfs, layers), rootfsMount: undefined, noPivot };
    const dir = containerDir(this.roots, c.id);
    const [upper, ...lower] = layers;
    return {
      // The overlay is mounted over the container's directory itself, in the container's own
      // mount namespace: no directory of its own to make and remove for each run.
      spec: this.specFor(c, dir, layers),
      rootfsMount: { source: "overlay", fstype: "overlay", data: `lowerdir=${lower.join(":")},upperdir=${upper},workdir=${path.join(dir, "work")}` },
      noPivot,
    };
  }

  /** Where a helper (cp's tar) finds the container's files: inside it while it runs, else over its layers. */
  filesTarget(c: ContainerRecord): HelperTarget {
    if (c.state.status === "running" || c.state.status === "paused") return { id: c.id };
    const { spec, rootfsMount, noPivot } = this.runtimeInput(c, "files");
    return { spec, rootfsMount, noPivot };
  }

  private markRunning(c: ContainerRecord, pid: number): void {
    this.containers.setState(c.id, { ...c.state, status: "running", pid, exitCode: 0, error: "", oomKilled: false, startedAt: new Date().toISOString(), finishedAt: NEVER });
  }

  /** Runs a created container in the foreground: its stdio is the caller's. */
  async startForeground(id: string, io: ForegroundIo = { stdio: "inherit" }): Promise<RunHandle> {
    const c = this.containers.get(id)!;
    const { spec, rootfsMount, noPivot } = this.runtimeInput(c, "run");
    const handle = await this.runtime.run(c.id, spec, { rootfsMount, noPivot, stdio: io.stdio, stdin: io.stdin, keepState: true });
    this.markRunning(c, handle.pid);
    return handle;
  }

  /** Starts a created or stopped container in the background under its monitor. */
  async start(query: string): Promise<string> {
    return this.startRun(query);
  }

  /** docker start -a [-i]: starts the container with io attached before it runs, so no output is missed. */
  async startAttached(query: string, io: AttachIo): Promise<{ id: string; session?: AttachSession }> {
    let session: AttachSession | undefined;
    const id = await this.startRun(query, async (id) => {
      session = await AttachSession.connect(this.runtime.attachSocket(id), io);
    });
    return { id, session };
  }

  /** docker attach: the output of a running container from now on, and its stdin if it has one open. */
  async attach(query: string, io: AttachIo): Promise<AttachSession> {
    const c = this.resolve(query);
    if (c.state.status !== "running" && c.state.status !== "paused") {
      throw new MydockerError("ENOTRUNNING", "You cannot attach to a stopped container, start it first");
    }
    return AttachSession.connect(this.runtime.attachSocket(c.id), io);
  }

  /** The start itself; beforeStart runs while the process waits to exec (attach). */
  private async startRun(query: string, beforeStart?: (id: string) => Promise<void>): Promise<string> {
    const id = this.resolve(query).id;
    // A container that just exited may still be being released: let that finish first.
    await this.settle();
    const c = this.containers.get(id);
    if (!c) throw new MydockerError("ENOCONTAINER", `No such container: ${query}`);
    if (c.state.status === "running" || c.state.status === "paused") return c.id;
    await this.releaseRuntime(c.id);
    const { spec, rootfsMount, noPivot } = this.runtimeInput(c, "run");
    const dir = containerDir(this.roots, c.id);
    this.pendingOps.begin(c.id, "start");
    try {
      const st = await this.runtime.create(c.id, spec, {
        rootfsMount,
        noPivot,
        logPath: path.join(dir, "container.log"),
        logMaxBytes: c.hostConfig.LogMaxSize,
        attach: true,
        openStdin: c.config.OpenStdin,
        restart: restartPolicy(c),
        exitCommand: [process.execPath, BIN, "--root", this.roots.root, "--runroot", this.roots.runRoot, "container", "cleanup", c.id],
      });
      await beforeStart?.(c.id);
      await this.runtime.start(c.id);
      this.markRunning(c, st.pid ?? 0);
    } catch (e) {
      await this.abandon(c.id, e);
      throw e;
    } finally {
      this.pendingOps.done(c.id);
    }
    return c.id;
  }

  /** docker run -d: create and start in the background; resolves with the id once the process runs. */
  async runDetached(opts: CreateOptions): Promise<string> {
    const id = await this.create(opts);
    await this.start(id);
    return id;
  }

  /** docker run in the foreground, to exit. */
  async run(opts: CreateOptions, io: ForegroundIo = { stdio: "inherit" }): Promise<RunResult> {
    const id = await this.create(opts);
    this.pendingOps.begin(id, "run");
    try {
      let handle: RunHandle;
      try {
        handle = await this.startForeground(id, io);
      } catch (e) {
        await this.abandon(id, e);
        throw e;
      }
      const { exitCode } = await handle.wait();
      await this.finish(id, exitCode);
      return { id, exitCode };
    } finally {
      this.pendingOps.done(id);
    }
  }

  /** After a failed start: nothing of the runtime is left; the container is removed (--rm) or keeps the error. */
  async abandon(id: string, err?: unknown): Promise<void> {
    await this.releaseRuntime(id);
    const c = this.containers.get(id);
    if (!c) return;
    if (c.hostConfig.AutoRemove) {
      this.removeFiles(c);
      return;
    }
    const exitCode = err instanceof MydockerError ? err.exitStatus : 125;
    this.containers.setState(id, { ...c.state, status: c.state.startedAt === NEVER ? "created" : "exited", pid: 0, exitCode, error: (err as Error)?.message ?? "" });
  }

  /** Records a container's end and releases what it held (cgroup, state directory); removes it with --rm. */
  async finish(id: string, exitCode?: number): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    let st: RuntimeState | undefined;
    try {
      st = this.runtime.state(id);
    } catch {
      st = undefined;
    }
    // A live run is not this one: the container was started again meanwhile.
    if (st && st.status !== "stopped") return;
    const oomKilled = st?.cgroupPath ? (this.cgroups.open(st.cgroupPath)?.oomKills() ?? 0) > 0 : false;
    const code = exitCode ?? st?.exit?.exitCode ?? (c.state.status === "running" ? 137 : c.state.exitCode);
    const ended: ContainerState = {
      ...c.state,
      status: "exited",
      pid: 0,
      exitCode: code,
      oomKilled,
      finishedAt: st?.exit?.finishedAt ?? new Date().toISOString(),
      ...(st?.restarts ? { startedAt: st.restarts.startedAt } : {}),
    };
    // The monitor's exit command and any command that finds the container stopped may all
    // get here: one of them records the end, releases, and applies --rm.
    if (!this.containers.claimFinish(id, c.state.startedAt, ended)) return;
    if (st?.restarts) this.containers.setRestartCount(id, st.restarts.count);
    // Not forced: should a new run have begun meanwhile, it is left alone.
    if (!(await this.releaseStopped(id))) return;
    if (c.hostConfig.AutoRemove) this.removeFiles(c);
  }

  /** Releases a stopped container's runtime state; false when a live run holds it. */
  private async releaseStopped(id: string): Promise<boolean> {
    try {
      await this.runtime.delete(id);
      return true;
    } catch (e) {
      if (!fs.existsSync(path.join(this.roots.runRoot, id))) return true;
      if (e instanceof MydockerError && e.code === "bad-state") return false;
      throw e;
    }
  }

  private async releaseRuntime(id: string): Promise<void> {
    try {
      await this.runtime.delete(id, { force: true });
    } catch (e) {
      if (!(e instanceof MydockerError) || !fs.existsSync(path.join(this.roots.runRoot, id))) return;
      throw e;
    }
  }

  /** Brings a record up to date with the kernel: a container whose monitor died is exited. */
  reconcile(c: ContainerRecord): ContainerRecord {
    if (!ACTIVE.has(c.state.status) || c.state.startedAt === NEVER) return c;
    let st: RuntimeState | undefined;
    try {
      st = this.runtime.state(c.id);
    } catch {
      st = undefined;
    }
    const status = st?.status ?? "stopped";
    if (st?.restarts && st.restarts.count !== c.restartCount && status !== "stopped") {
      // The monitor ran it again: this run's pid and start.
      const state: ContainerState = { ...c.state, status: status === "paused" ? "paused" : "running", pid: st.pid ?? 0, startedAt: st.restarts.startedAt };
      this.containers.setState(c.id, state);
      this.containers.setRestartCount(c.id, st.restarts.count);
      return { ...c, state, restartCount: st.restarts.count };
    }
    if (status === "stopped") {
      this.finishSync(c);
      return this.containers.get(c.id) ?? { ...c, state: { ...c.state, status: "removing" } };
    }
    if ((status === "paused") !== (c.state.status === "paused")) {
      const state: ContainerState = { ...c.state, status: status === "paused" ? "paused" : "running" };
      this.containers.setState(c.id, state);
      return { ...c, state };
    }
    return c;
  }

  private finishSync(c: ContainerRecord): void {
    // The runtime's release is asynchronous only in its waits; a stopped container has nothing to wait for.
    // Another command may be releasing the same container right now: either one finishing is enough.
    this.pending.push(this.finish(c.id).catch((e) => this.debug(`release of ${c.id}: ${(e as Error).message}`)));
  }

  private pending: Promise<void>[] = [];

  /** Waits for background releases started by reconcile. */
  async settle(): Promise<void> {
    while (this.pending.length) await this.pending.shift();
  }

  /**
   * Every container (all: the stopped ones too), up to date, newest first. Without all, only
   * the records that say they run are read: a stopped one cannot have started unseen.
   */
  async list(all = false): Promise<ContainerRecord[]> {
    const out = (all ? this.containers.all() : this.containers.active()).map((c) => this.reconcile(c));
    if (this.pending.length === 0) return all ? out : out.filter(isRunning);
    // Some ended meanwhile: their releases are awaited and those records read again (--rm removes).
    await this.settle();
    const fresh = out.map((c) => (ACTIVE.has(c.state.status) ? c : this.containers.get(c.id))).filter((c): c is ContainerRecord => c !== undefined);
    return all ? fresh : fresh.filter(isRunning);
  }

  /**
   * Finishes or undoes what killed commands left half done: a process made by a start that
   * never let it go, a foreground run whose caller did not see its end (--rm included), a
   * remove that stopped half way. Costs one query when nothing crashed.
   */
  async recover(): Promise<void> {
    for (const op of this.pendingOps.orphaned()) {
      try {
        if (await this.recoverOne(op)) this.pendingOps.settled(op);
      } catch (e) {
        this.debug(`recovering the ${op.kind} of ${op.id}: ${(e as Error).message}`);
      }
    }
  }

  /** false: the operation's container still runs without its caller; it is looked at again next time. */
  private async recoverOne(op: PendingOp): Promise<boolean> {
    const c = this.containers.get(op.id);
    if (!c) {
      await this.releaseRuntime(op.id);
      return true;
    }
    if (op.kind === "remove") {
      await this.releaseRuntime(c.id);
      this.removeFiles(c);
      return true;
    }
    let live: string | undefined;
    try {
      live = this.runtime.state(c.id).status;
    } catch {
      live = undefined;
    }
    const started = c.state.status === "running" || c.state.status === "paused";
    // A start killed after it let the process go: the container runs as it should.
    if (op.kind === "start" && started && (live === "running" || live === "paused")) return true;
    // A foreground run whose caller died goes on under its monitor, as docker's would.
    if (op.kind === "run" && started && live !== undefined && live !== "stopped") return false;
    if (started) await this.finish(c.id);
    else await this.abandon(c.id, new MydockerError("EINTR", `the command that started it was killed`));
    const left = this.containers.get(c.id);
    if (left?.hostConfig.AutoRemove && !ACTIVE.has(left.state.status)) {
      await this.releaseRuntime(c.id);
      this.removeFiles(left);
    }
    return true;
  }

  /** Sweeps what crashed commands left: theirs (recover) and runtime state of containers we no longer know. */
  async sweep(): Promise<void> {
    await this.recover();
    let dirs: string[] = [];
    try {
      dirs = fs.readdirSync(this.roots.runRoot);
    } catch {
      dirs = [];
    }
    // The records after the directories: a container's record is written before its runtime
    // directory, so one being created right now by another command is always known here.
    const known = new Set(this.containers.refs().map((r) => r.id));
    // A dot entry is the runtime's own (.seccomp: its compiled filters), never a container's.
    for (const id of dirs) {
      if (!known.has(id) && !id.startsWith(".")) await this.releaseRuntime(id).catch((e) => this.debug(`sweep ${id}: ${(e as Error).message}`));
    }
  }

  private removeFiles(c: ContainerRecord, volumes = c.hostConfig.AutoRemove): void {
    removeTree(containerDir(this.roots, c.id));
    this.containers.delete(c.id);
    if (!volumes) return;
    for (const name of c.hostConfig.Volumes ?? []) {
      const v = this.volumes.get(name);
      if (v && isAnonymous(v)) this.volumes.remove(name, (n) => this.containers.usingVolume(n));
    }
  }

  /** docker container prune: every stopped container removed; the space their writable layers held. */
  async prune(): Promise<{ deleted: string[]; spaceReclaimed: number }> {
    const deleted: string[] = [];
    let spaceReclaimed = 0;
    await this.sweep();
    for (const c of await this.list(true)) {
      if (c.state.status !== "exited" && c.state.status !== "created" && c.state.status !== "dead") continue;
      const size = treeSize(path.join(containerDir(this.roots, c.id), "upper"));
      await this.remove(c.id);
      deleted.push(c.id);
      spaceReclaimed += size;
    }
    return { deleted, spaceReclaimed };
  }

  /** Which containers mount a volume: for volume rm and prune. */
  volumeUsers = (name: string): string[] => this.containers.usingVolume(name);

  /** docker commit: the container's own layer becomes the top layer of a new image (read while it is paused, unless pause is false). */
  commit(query: string, ref: string | undefined, changes: ImageChanges = {}, opts: CommitOptions = {}): Promise<ImageRecord> {
    return commitContainer(this, query, ref, changes, opts);
  }

  /** docker export: the container's file system as a tar stream to out, read while it is paused. */
  export(query: string, out: Writable, opts: Omit<CommitOptions, "pause"> = {}): Promise<void> {
    return exportContainer(this, query, out, opts);
  }

  /** docker stop: the stop signal, then SIGKILL after timeoutSec (default: the container's, else 10). */
  stop(query: string, timeoutSec?: number): Promise<string> {
    return stopContainer(this, query, timeoutSec);
  }

  /** docker kill (default SIGKILL). */
  kill(query: string, signal?: string): Promise<string> {
    return killContainer(this, query, signal);
  }

  /** docker wait: resolves with the exit code once the container stopped. */
  wait(query: string): Promise<number> {
    return waitContainer(this, query);
  }

  /** docker logs as an async iterable of lines ({ stream, time, text }); follow ends at the container's exit. */
  logs(query: string, opts?: Omit<ReadLogsOptions, "isRunning">): AsyncGenerator<LogEntry> {
    return containerLogs(this, query, opts);
  }

  /** docker exec: resolves with a handle to wait for or signal. */
  exec(query: string, req: ExecRequest): Promise<ProcessHandle> {
    return execInContainer(this, query, req);
  }

  /** docker cp CONTAINER:SRC DEST; DEST "-" writes a tar stream to out. */
  copyFrom(query: string, src: string, dest: string, out: Writable, opts?: CopyOptions): Promise<void> {
    return copyFromContainer(this, query, src, dest, out, opts);
  }

  /** docker cp SRC CONTAINER:DEST; SRC "-" reads a tar stream from input. */
  copyTo(src: string, input: Readable, query: string, dest: string, opts?: CopyOptions): Promise<void> {
    return copyToContainer(this, src, input, query, dest, opts);
  }

  /** docker inspect, in docker's shape. */
  inspect(query: string): ReturnType<typeof containerInspect> {
    return containerInspect(this.resolve(query), this.roots);
  }

  rename(query: string, newName: string): void {
    const c = this.resolve(query);
    this.containers.rename(c.id, validateName(newName));
  }

  /**
   * Run by a detached container's monitor when the container exits (its exit command):
   * records the exit, releases the runtime's resources and applies --rm. (--restart was
   * the monitor's own business while it lived.)
   */
  async cleanupAfterExit(id: string): Promise<void> {
    if (!hasDb(this.roots.root)) return;
    const c = this.containers.get(id);
    if (!c) return;
    // Only the run this monitor watched: it may have been released already (its state is
    // gone) or the container started again (its state is a new run's) by the time we run.
    let status: string;
    try {
      status = this.runtime.state(id).status;
    } catch {
      return;
    }
    if (status !== "stopped") return;
    await this.finish(id);
  }

  /** docker rm: refuses a running container unless forced. */
  async remove(query: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<string> {
    const c = this.resolve(query);
    await this.settle();
    const running = c.state.status === "running" || c.state.status === "paused" || c.state.status === "restarting";
    if (running && !opts.force) {
      throw new MydockerError(
        "ERUNNING",
        `cannot remove container "/${c.name}": container is ${c.state.status}: stop the container before removing or force remove`,
      );
    }
    this.pendingOps.begin(c.id, "remove");
    await this.releaseRuntime(c.id);
    this.removeFiles(c, Boolean(opts.volumes));
    this.pendingOps.done(c.id);
    return c.id;
  }
}
