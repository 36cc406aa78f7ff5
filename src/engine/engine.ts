// The engine: images, containers and volumes over the OCI runtime. A small facade that
// opens the stores and wires the container services (containers/); every operation has
// one entry point here, shared by the command line, Node programs and the API server.
import path from "node:path";
import type { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { isMainThread } from "node:worker_threads";
import { hasDb, openDb, type Db } from "../store/db.js";
import { ImageStore, type ImageChanges, type ImageRecord } from "../image/index.js";
import { Runtime } from "../runtime/index.js";
import type { UnixNanos } from "./timestamps.js";
import { detectCgroupDriver } from "../cgroups/index.js";
import type { LinuxResources } from "../spec/runtime.js";
import { MydockerError } from "../util/errors.js";
import { ContainerStore, type ContainerRecord } from "./container-store.js";
import { takeRestartHandoff, type RestartPolicy } from "./containers/restart-policy.js";
import { PendingOps } from "./pending-ops.js";
import type { CreateOptions } from "./run-options.js";
import { defaultRoots, type EngineRoots } from "./paths.js";
import type { EngineOptions } from "./engine-options.js";
import { validateName } from "./names.js";
import { VolumeStore } from "./volumes/store.js";
import { EventsService } from "./events/service.js";
import { containerEvent } from "./events/actors.js";
import { SystemService } from "./system/service.js";
import { containerSize, type ContainerSize } from "./containers/size.js";
import { ensureImage, type EnsureOptions } from "./image-bootstrap.js";
import type { LogEntry, ReadLogsOptions } from "./logs.js";
import { containerInspect } from "./inspect.js";
import type { AttachIo, AttachSession } from "./attach.js";
import type { ContainerContext } from "./containers/context.js";
import { Reconciler } from "./containers/reconciler.js";
import { RootfsView } from "./containers/rootfs-view.js";
import { Starter, type AttachOptions, type ForegroundIo, type RunResult } from "./containers/starter.js";
import { containerLogs, execInContainer, killContainer, stopContainer, waitForCondition, type ExecHandle, type ExecRequest, type WaitCondition } from "./containers/control.js";
import { FilesService } from "./containers/files.js";
import { commitContainer, exportContainer, type CommitOptions } from "./containers/commit.js";
import { build } from "../build/builder.js";
import type { BuildOptions, BuildResult } from "../build/types.js";
import { makeNetworking, type Networking, type NetworkService, type NetworkSettings } from "./networks/wiring.js";
import { ExecExits } from "./containers/exec-exits.js";
import { pauseContainer, sampleStats, statsTargets, topContainer, unpauseContainer, updateContainer, type StatsSample, type StatsTarget } from "./containers/resources.js";

export type { AttachOptions, ForegroundIo, RunResult } from "./containers/starter.js";
export type { EngineOptions } from "./engine-options.js";


// node's entry of the command line, not bin/mydocker's sh front: the monitor runs the command
// with this node, whatever the PATH of its environment holds.
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../bin/mydocker.cjs");

/** The engine's command line as a container's monitor runs it: at its exit, at each restart (appending the run's exit code and end). */
function engineCommand(roots: EngineRoots, ...args: string[]): string[] {
  return [process.execPath, "--", BIN, "--root", roots.root, "--runroot", roots.runRoot, ...args];
}

function defaultExitCommand(id: string, roots: EngineRoots, networkRun?: string): string[] {
  return engineCommand(roots, "container", "cleanup", id, ...(networkRun ? ["--network-run", networkRun] : []));
}

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
  private readonly debugOn: boolean;
  private readonly notice: (msg: string) => void;
  private readonly useLauncher: boolean;
  private readonly vforkShims: boolean;
  private readonly releaseInProcess: boolean;
  private readonly exitCommand: (id: string, roots: EngineRoots, networkRun?: string) => string[];
  private dbHandle?: Db;
  private imageStore?: ImageStore;
  private containerStore?: ContainerStore;
  private volumeStore?: VolumeStore;
  private pendingStore?: PendingOps;
  private eventsService?: EventsService;
  private systemService?: SystemService;
  private rt?: Runtime;
  private context?: ContainerContext;
  private reconcilerService?: Reconciler;
  private starterService?: Starter;
  private readonly net: Networking;

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
    this.debugOn = opts.debug !== undefined;
    this.notice = opts.notice ?? (() => {});
    this.useLauncher = opts.launcher ?? true;
    this.vforkShims = opts.vforkShims ?? false;
    this.releaseInProcess = opts.releaseInProcess ?? this.useLauncher;
    this.exitCommand = opts.exitCommand ?? defaultExitCommand;
    this.net = makeNetworking(() => this.db, this.roots, (q) => this.resolve(q), (id) => this.containers.get(id)?.name, this.debug, () => this.events, (f) => this.runtime.pinNetns(f));
    fixUmask();
  }

  private get db(): Db {
    this.dbHandle ??= openDb(this.roots.root);
    return this.dbHandle;
  }

  get images(): ImageStore {
    this.imageStore ??= new ImageStore(this.db, this.roots.root, (Action, id, name) => this.events.record({ Type: "image", Action, id, attributes: { name } }));
    return this.imageStore;
  }

  get volumes(): VolumeStore {
    this.volumeStore ??= new VolumeStore(this.db, this.roots.root, this.events);
    return this.volumeStore;
  }

  get containers(): ContainerStore {
    this.containerStore ??= new ContainerStore(this.db);
    return this.containerStore;
  }

  /** What the engine did, recorded for `events` and the API's /events, by whichever process did it. */
  get events(): EventsService {
    this.eventsService ??= new EventsService(() => this.db, this.debug);
    return this.eventsService;
  }

  /** docker network create/ls/inspect/rm/prune/connect/disconnect, and where containers' ports are published. */
  get networks(): NetworkService {
    return this.net.service;
  }

  private get pendingOps(): PendingOps {
    this.pendingStore ??= new PendingOps(this.db);
    return this.pendingStore;
  }

  get runtime(): Runtime {
    this.rt ??= new Runtime({ runRoot: this.roots.runRoot, cgroups: detectCgroupDriver(), debug: this.debug, launcher: this.useLauncher, vforkShims: this.vforkShims });
    return this.rt;
  }

  /** The container services, made on first use; the stores and the runtime open lazily under them. */
  private get ctx(): ContainerContext {
    if (this.context) return this.context;
    const ctx = {
      roots: this.roots,
      view: new RootfsView(this.roots, () => this.images, () => this.runtime.shimPath, (query) => this.reconciler.resolve(query), (c) => this.net.containers.etcMounts(c.id)),
      debug: this.debug,
    } as ContainerContext;
    // Getters: the stores, the runtime and the services open on first use.
    for (const key of ["containers", "images", "volumes", "pendingOps", "events", "runtime", "reconciler"] as const) {
      Object.defineProperty(ctx, key, { get: () => this[key], enumerable: true });
    }
    Object.defineProperty(ctx, "network", { get: () => this.net.containers, enumerable: true });
    this.context = ctx;
    return ctx;
  }

  private get reconciler(): Reconciler {
    this.reconcilerService ??= new Reconciler(this.ctx);
    return this.reconcilerService;
  }

  /** docker version, info and system prune. */
  get system(): SystemService {
    this.systemService ??= new SystemService(this.ctx, this.reconciler, this.debugOn, this.networks);
    return this.systemService;
  }

  private get starter(): Starter {
    this.starterService ??= new Starter(this.ctx, {
      image: (ref, opts) => this.ensureImage(ref, opts),
      exitCommand: (id, networkRun) => this.exitCommand(id, this.roots, networkRun),
      releaseInProcess: this.releaseInProcess,
      restartCommand: (id) => engineCommand(this.roots, "container", "restarted", id),
      notice: this.notice,
    });
    return this.starterService;
  }

  close(): void {
    this.rt?.close();
    this.rt = undefined;
    this.imageStore?.close();
    this.dbHandle?.close();
    this.dbHandle = undefined;
    this.imageStore = undefined;
    this.containerStore = undefined;
    this.volumeStore = undefined;
    this.pendingStore = undefined;
    this.eventsService = undefined;
    this.systemService = undefined;
  }

  /** Finds an image, pulling it when missing (opts.pull: docker's --pull), busybox made from the host's binary. */
  ensureImage(ref: string, opts: EnsureOptions = {}): Promise<ImageRecord> {
    return ensureImage(this.images, ref, path.join(this.roots.root, "tmp"), this.notice, opts);
  }

  /** docker create: the container's record and its writable layer; nothing runs yet. */
  create(opts: CreateOptions): Promise<string> {
    return this.starter.create(opts);
  }

  /** docker create as the API answers it: the id, and the create's warnings for the client to show. */
  async createWithWarnings(opts: CreateOptions): Promise<{ id: string; warnings: string[] }> {
    const warnings: string[] = [];
    const id = await this.starter.create(opts, (w) => warnings.push(w));
    return { id, warnings };
  }

  /** docker start: a created or stopped container, in the background under its monitor. */
  async start(query: string): Promise<string> {
    return (await this.starter.start(query)).id;
  }

  /** docker start -a [-i]: starts the container with io attached before it runs, so no output is missed. */
  startAttached(query: string, io: AttachIo): Promise<{ id: string; session?: AttachSession }> {
    return this.starter.start(query, io);
  }

  /** docker run -d: create and start in the background; resolves with the id once the process runs. */
  runDetached(opts: CreateOptions): Promise<string> {
    return this.starter.runDetached(opts);
  }

  /** docker run in the foreground, to exit; its end is recorded (and --rm applied) before this resolves. */
  run(opts: CreateOptions, io: ForegroundIo = { stdio: "inherit" }): Promise<RunResult> {
    return this.starter.run(opts, io);
  }

  /** docker attach (containers/starter.ts: Starter.attach). */
  attach(query: string, given: AttachIo, opts: AttachOptions = {}): Promise<AttachSession> {
    return this.starter.attach(this.resolve(query), given, opts);
  }

  /** A container by full id, unique id prefix or name, up to date with the kernel. */
  resolve(query: string): ContainerRecord {
    return this.reconciler.resolve(query);
  }

  /** Every container (all: the stopped ones too), up to date, newest first. */
  list(all = false): Promise<ContainerRecord[]> {
    return this.reconciler.list(all);
  }

  /** Finishes or undoes what killed commands left half done; one query when nothing crashed. */
  recover(): Promise<void> {
    return this.reconciler.recover();
  }

  /** recover(), and the runtime state of containers the store no longer knows (ps, prune). */
  sweep(): Promise<void> {
    return this.reconciler.sweep();
  }

  /** docker rm: refuses a running container unless forced. */
  remove(query: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<string> {
    return this.reconciler.remove(query, opts);
  }

  /** docker container prune: every stopped container (that only, the prune's filters, lets go) removed; the space their writable layers held. */
  prune(only?: (c: ContainerRecord) => boolean): Promise<{ deleted: string[]; spaceReclaimed: number }> {
    return this.system.pruneContainers(only);
  }

  /** ps -s, inspect -s: the container's writable layer, and that with its image. */
  size(c: ContainerRecord | string): ContainerSize {
    return containerSize(this.ctx, typeof c === "string" ? this.resolve(c) : c);
  }

  /**
   * Run by a detached container's monitor when the container exits (its exit command):
   * records the exit, releases the runtime's resources and applies --rm.
   */
  async cleanupAfterExit(id: string, networkRun?: string): Promise<void> {
    // The root may have been removed meanwhile: no store is made where there was none.
    if (!hasDb(this.roots.root)) return;
    await this.reconciler.cleanupAfterExit(id, networkRun);
    if (takeRestartHandoff(this.ctx, id)) await this.start(id);
  }

  /** Run by a container's monitor at each restart it makes: docker's die and start events (as cleanupAfterExit, no store is made). */
  restartedByMonitor(id: string, what: { died: number; at: UnixNanos } | { startedAt: UnixNanos }): void {
    if (!hasDb(this.roots.root)) return;
    if ("died" in what) this.reconciler.restarting(id, what.died, what.at);
    else this.reconciler.restarted(id, what.startedAt);
  }

  /** Which containers mount a volume: for volume rm and prune. */
  volumeUsers = (name: string): string[] => this.containers.usingVolume(name);

  /** docker commit: the container's own layer becomes the top layer of a new image (read while it is paused, unless pause is false). */
  commit(query: string, ref: string | undefined, changes: ImageChanges = {}, opts: CommitOptions = {}): Promise<ImageRecord> {
    return commitContainer(this.ctx, query, ref, changes, opts);
  }

  /** docker export: the container's file system as a tar stream to out, read while it is paused. */
  export(query: string, out: Writable, opts: Omit<CommitOptions, "pause"> = {}): Promise<void> {
    return exportContainer(this.ctx, query, out, opts);
  }

  /** docker build: the image a Dockerfile describes (build/ runs its steps on this engine). */
  build(opts: BuildOptions): Promise<BuildResult> {
    return build(this, opts);
  }

  /** docker stop: the stop signal, then SIGKILL after timeoutSec (default: the container's, else 10). */
  stop(query: string, timeoutSec?: number): Promise<string> {
    return stopContainer(this.ctx, query, timeoutSec);
  }

  /** docker kill (default SIGKILL). */
  kill(query: string, signal?: string): Promise<string> {
    return killContainer(this.ctx, query, signal);
  }

  /** docker wait: resolves with the exit code once the condition holds (default: once the container stopped). */
  wait(query: string, condition: WaitCondition = "not-running", signal?: AbortSignal): Promise<number> {
    return waitForCondition(this.ctx, query, condition, signal);
  }

  /** docker logs as an async iterable of lines ({ stream, time, text }); follow ends at the container's exit. */
  logs(query: string, opts?: Omit<ReadLogsOptions, "isRunning">): AsyncGenerator<LogEntry> {
    return containerLogs(this.ctx, query, opts);
  }

  /** docker exec: resolves with a handle to wait for or signal. */
  exec(query: string, req: ExecRequest): Promise<ExecHandle> {
    return execInContainer(this.ctx, query, req, (id, execId) => engineCommand(this.roots, "container", "exec-exited", id, execId));
  }

  /** How detached execs ended: recorded by their monitors, read back by exec inspect. */
  get execExits(): ExecExits {
    return new ExecExits(this.ctx);
  }

  /** A container's files: docker cp both ways, stat, docker diff. */
  get files(): FilesService {
    return new FilesService(this.ctx);
  }

  /** docker inspect, in docker's shape. */
  inspect(query: string, opts: { size?: boolean } = {}): ReturnType<typeof containerInspect> & Partial<ContainerSize> & { NetworkSettings: NetworkSettings } {
    const c = this.resolve(query);
    return { ...containerInspect(c, this.roots), ...(opts.size ? this.size(c) : {}), NetworkSettings: this.net.containers.settings(c) };
  }

  rename(query: string, newName: string): void {
    const c = this.resolve(query);
    const name = validateName(newName);
    this.containers.rename(c.id, name);
    this.events.record(containerEvent({ ...c, name }, "rename", { oldName: `/${c.name}` }));
  }

  /** docker update: new limits (and restart policy) for a running container and for its next start. */
  update(query: string, resources: LinuxResources, restart?: RestartPolicy): string {
    return updateContainer(this.ctx, query, resources, restart);
  }

  pause(query: string): Promise<string> {
    return pauseContainer(this.ctx, query);
  }

  unpause(query: string): Promise<string> {
    return unpauseContainer(this.ctx, query);
  }

  /** docker top: the container's processes as ps shows them with psArgs. */
  top(query: string, psArgs?: string[]): { titles: string[]; processes: string[][] } {
    return topContainer(this.ctx, query, psArgs);
  }

  /**
   * What docker stats samples: the named containers, or every container whose record says it
   * runs. Those are not refreshed one by one first: a sample reads each container's cgroup
   * anyway, and one that ended is left out of the samples.
   */
  statsTargets(names: string[] = [], all = false): StatsTarget[] {
    return statsTargets(names.length ? names.map((n) => this.resolve(n)) : this.containers.listings(all), this.roots.cgroupParent, all);
  }

  /** One reading of each target's counters (docker stats). */
  sampleStats(targets: StatsTarget[], cpuDetail = false): StatsSample[] {
    return sampleStats(this.ctx, targets, cpuDetail);
  }
}
