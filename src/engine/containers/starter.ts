// Making containers and setting them going: create (the record and the writable layer),
// start (in the background, under a monitor that outlives the caller), and run (in the
// foreground, to exit). Each start is recorded as an operation in flight with its owner, so
// the next command finishes one a kill cut short (Reconciler.recover).
import fs from "node:fs";
import path from "node:path";
import { checkPlatform, type ImageRecord } from "../../image/index.js";
import type { MonitorRestart, RunHandle } from "../../runtime/index.js";
import { MydockerError } from "../../util/errors.js";
import type { AttachIo } from "../attach.js";
import { AttachSession } from "../attach.js";
import type { ContainerRecord } from "../container-store.js";
import { newContainerRecord } from "../container-factory.js";
import { generateId, generateName, validateName } from "../names.js";
import { containerDir, initLayerDir } from "../paths.js";
import type { CreateOptions } from "../run-options.js";
import type { EnsureOptions } from "../image-bootstrap.js";
import { imageVolumeSpecs, toOciMounts } from "../volumes/volume-mounts.js";
import { volumesFrom } from "../volumes/volumes-from.js";
import { logSettings } from "../host-options/log-config.js";
import { joinNetworkNamespace } from "../spec-builder.js";
import { bindEtcFiles, ensureInitLayer } from "../networks/etc-files.js";
import { healthCheckFor, type Health } from "../health/check.js";
import { healthPolicy } from "../health/config.js";
import { NEVER, type ContainerContext } from "./context.js";
import { containerEvent } from "../events/actors.js";
import { dateToNanos, type UnixNanos } from "../timestamps.js";
import { makeSpreadDir } from "../../util/spread-dirs.js";

export interface AttachOptions {
  /** A stopped container: wait for its next start by this process instead of refusing. */
  atStart?: boolean;
  /** Its abort gives up an attach still waiting for the start. */
  signal?: AbortSignal;
  /** What the client gets before the live output (attach's logs=1): the logs up to until. */
  replay?: (until: UnixNanos) => Promise<void>;
}

/** Now, rounded up to the millisecond: a log line from before now is at or before it. */
const replayUntil = (): UnixNanos => dateToNanos(new Date(Date.now() + 1));

export interface RunResult {
  id: string;
  exitCode: number;
}

export interface ForegroundIo {
  /** "inherit": the caller's stdio (a pty on it with tty); "ignore": none; "pipe": output streams on the handle onStart gets. */
  stdio: "inherit" | "ignore" | "pipe";
  /** false: the container reads /dev/null (docker without -i). Default: true. */
  stdin?: boolean;
  /** Called with the container's id once it is made (before it runs). */
  onCreate?: (id: string) => void;
  /** Called once the process runs: the caller passes its signals on through the handle. */
  onStart?: (handle: RunHandle) => void;
}

export interface StarterOptions {
  /** Finds an image by reference (making busybox when it is asked for). */
  image(ref: string, opts: EnsureOptions): Promise<ImageRecord>;
  /** The command a detached container's monitor runs after the container exits. */
  exitCommand(id: string, networkRun?: string): string[];
  /** A foreground run's network is released by this process in the background, not by its monitor's exit command. */
  releaseInProcess?: boolean;
  /** The command a container's monitor runs at each restart it makes (docker's events of it). */
  restartCommand(id: string): string[];
  /** Where docker's warnings of a create go (the CLI's stderr). */
  notice(msg: string): void;
}

/** docker's --restart as the monitor carries it out; "no" is none. */
function restartPolicy(c: ContainerRecord, command: string[]): MonitorRestart | undefined {
  const p = c.hostConfig.RestartPolicy;
  switch (p.Name) {
    case "always":
    case "unless-stopped":
      return { onFailureOnly: false, maxCount: 0, command };
    case "on-failure":
      return { onFailureOnly: true, maxCount: p.MaximumRetryCount, command };
    default:
      return undefined;
  }
}

const depth = (p: string) => p.split("/").filter(Boolean).length;
interface AttachWaiter {
  io: AttachIo;
  resolve(session: AttachSession): void;
  reject(e: unknown): void;
}

export class Starter {
  /** Clients of this process that attached to a container before its start (the API's `docker run`). */
  private readonly waiting = new Map<string, AttachWaiter[]>();

  constructor(
    private readonly ctx: ContainerContext,
    private readonly o: StarterOptions,
  ) {}

  /** docker create: the container's record and its writable layer; nothing runs yet. */
  /** warn: where docker's warnings of the create go (the engine's notices, as WARNING: lines, by default). */
  async create(opts: CreateOptions, warn: (w: string) => void = (w) => this.o.notice(`WARNING: ${w}`)): Promise<string> {
    const { images, volumes, roots } = this.ctx;
    let image: ImageRecord | undefined;
    if (opts.rootfs) {
      if (!fs.statSync(opts.rootfs, { throwIfNoEntry: false })?.isDirectory()) {
        throw new MydockerError("EINVAL", `--rootfs ${opts.rootfs}: not a directory`);
      }
    } else if (opts.image) {
      image = await this.o.image(opts.image, { pull: opts.pull, platform: opts.platform });
      if (opts.platform) checkPlatform(image.config, opts.image, opts.platform);
    } else {
      throw new MydockerError("EINVAL", "an image or --rootfs is required");
    }
    if (opts.name !== undefined) validateName(opts.name);
    this.checkPeers(opts);
    const id = generateId();
    const record = newContainerRecord(id, opts.name ?? this.freeName(), opts, image);
    // Own mounts over inherited ones, inherited ones over the image's volumes, as docker.
    const own = new Set((opts.volumes ?? []).map((v) => v.target));
    const inherited = volumesFrom(opts.volumesFrom ?? [], (q) => this.peer(q));
    const fromOthers = inherited.mounts.filter((m) => !own.has(m.destination));
    const specs = imageVolumeSpecs(image?.config.config?.Volumes, opts.volumes ?? []).filter((s) => !fromOthers.some((m) => m.destination === s.target));
    const prepared = toOciMounts([...(opts.volumes ?? []), ...specs], volumes, image ? images.layerDirs(image) : [opts.rootfs!]);
    const mounts = [...record.hostConfig.Mounts, ...fromOthers, ...prepared.mounts];
    record.hostConfig.Mounts = mounts.sort((a, b) => depth(a.destination) - depth(b.destination));
    record.hostConfig.Volumes = [...new Set([...prepared.volumes, ...inherited.volumes])];
    if (record.config.Cmd.length === 0 && (record.config.Entrypoint ?? []).length === 0) {
      throw new MydockerError("ENOCMD", "no command specified: give a command after the image name");
    }
    const dir = containerDir(roots, id);
    makeSpreadDir(path.dirname(dir), 0o700);
    fs.mkdirSync(path.join(dir, "upper"), { recursive: true, mode: 0o755 });
    fs.mkdirSync(path.join(dir, "work"), { mode: 0o700 });
    if (image) ensureInitLayer(initLayerDir(roots));
    try {
      this.insertNamed(record, opts.name === undefined);
    } catch (e) {
      this.ctx.reconciler.destroy(record, true);
      throw e;
    }
    this.ctx.events.record(containerEvent(record, "create"));
    try {
      for (const w of this.ctx.network.attach(record, opts)) warn(w);
    } catch (e) {
      this.ctx.reconciler.destroy(record, true);
      throw e;
    }
    return id;
  }

  /** A container this one is made with (--ipc/--pid container:, --volumes-from): missing, an engine error (125) as docker's run. */
  private peer(query: string): ContainerRecord {
    try {
      return this.ctx.reconciler.resolve(query);
    } catch (e) {
      throw e instanceof MydockerError ? new MydockerError(e.code, e.message) : e;
    }
  }

  private checkPeers(opts: CreateOptions): void {
    for (const mode of [opts.ipcMode, opts.pidMode]) {
      if (mode?.startsWith("container:")) this.peer(mode.slice("container:".length));
    }
  }

  /** A generated name nobody has, asked of the name index one candidate at a time. */
  private freeName(): string {
    return generateName({ has: (name) => this.ctx.containers.idByName(name) !== undefined });
  }

  /** Inserts the record; a generated name another command took meanwhile is generated again. */
  private insertNamed(record: ContainerRecord, generated: boolean): void {
    for (let attempt = 1; ; attempt++) {
      try {
        this.ctx.containers.insert(record);
        return;
      } catch (e) {
        if (!generated || attempt >= 5 || !(e instanceof MydockerError) || e.code !== "ENAMEINUSE") throw e;
        record.name = this.freeName();
      }
    }
  }

  private markRunning(c: ContainerRecord, pid: number): void {
    const health: Health | undefined = healthPolicy(c.config.Healthcheck) ? { Status: "starting", FailingStreak: 0, Log: [] } : undefined;
    this.ctx.containers.setState(c.id, { ...c.state, status: "running", pid, exitCode: 0, error: "", oomKilled: false, startedAt: new Date().toISOString(), finishedAt: NEVER, health });
    this.recordVolumeMounts(c);
    this.ctx.events.record(containerEvent(c, "start"));
  }

  /** docker's volume mount events: one per named or anonymous volume the run mounts. */
  private recordVolumeMounts(c: ContainerRecord): void {
    for (const name of c.hostConfig.Volumes ?? []) {
      const dir = this.ctx.volumes.get(name)?.Mountpoint;
      const m = c.hostConfig.Mounts.find((x) => x.source === dir);
      if (!m) continue;
      const attributes = { container: c.id, destination: m.destination, driver: "local", propagation: "", "read/write": String(!m.options?.includes("ro")) };
      this.ctx.events.record({ Type: "volume", Action: "mount", id: name, attributes });
    }
  }

  /**
   * Starts a created or stopped container in the background under its monitor; with io,
   * attached before it runs, so no output is missed (docker start -a [-i]).
   */
  async start(query: string, io?: AttachIo): Promise<{ id: string; session?: AttachSession }> {
    const { reconciler, containers, runtime, pendingOps, roots } = this.ctx;
    const id = reconciler.resolve(query).id;
    // A container that just exited may still be being released: let that finish first.
    await reconciler.settle();
    const c = containers.get(id);
    if (!c) throw new MydockerError("ENOCONTAINER", `No such container: ${query}`);
    if (c.state.status === "running" || c.state.status === "paused") return { id: c.id };
    await reconciler.releaseRuntime(c.id);
    let session: AttachSession | undefined;
    const log = logSettings(c.hostConfig.LogConfig);
    let others: AttachSession[] = [];
    pendingOps.begin(c.id, "start");
    try {
      const { spec, rootfsMount, net } = await this.runtimeInput(c);
      const st = await runtime.create(c.id, spec, {
        ...(net.ready ? { onPid: () => net.ready! } : {}),
        rootfsMount,
        logPath: log ? path.join(containerDir(roots, c.id), "container.log") : undefined,
        logMaxBytes: log?.maxBytes,
        logMaxFiles: log?.maxFiles,
        attach: true,
        openStdin: c.config.OpenStdin,
        restart: restartPolicy(c, this.o.restartCommand(c.id)),
        health: healthCheckFor(c, spec),
        publish: net.publish,
        exitCommand: this.o.exitCommand(c.id, net.tag),
      });
      if (io) {
        session = await AttachSession.connect(runtime.attachSocket(c.id), io);
        this.ctx.events.record(containerEvent(c, "attach"));
      }
      others = await this.connectWaiting(c.id);
      await runtime.start(c.id);
      this.markRunning(c, st.pid ?? 0);
    } catch (failure) {
      const e = this.ctx.network.explainFailure(c.id, failure);
      session?.detach();
      for (const s of others) s.detach();
      await this.connectWaiting(c.id, e);
      await reconciler.abandon(c.id, e);
      throw e;
    } finally {
      pendingOps.done(c.id, "start");
    }
    return { id: c.id, session };
  }

  /** The spec of a run, its network namespace set up first (a failure after this is undone by abandon). */
  private async runtimeInput(c: ContainerRecord) {
    const { network, reconciler, view } = this.ctx;
    const net = await network.setup(c, (ref) => {
      const other = reconciler.resolve(ref);
      if (other.state.status !== "running" && other.state.status !== "paused") {
        throw new MydockerError("ENOTRUNNING", `cannot join the network of a non running container: ${ref}`);
      }
      return other;
    });
    const input = view.runtimeInput(c, "run");
    if (net.nsPath) joinNetworkNamespace(input.spec, net.nsPath);
    bindEtcFiles(input.spec, net.etc);
    // A namespace given back to the pool after the run: this process does it, no exit command needed.
    const reusable = net.tag !== undefined && network.permitReuse(c, input.spec);
    return { ...input, net, reusable };
  }

  /**
   * docker attach: a running container's output from now on, and its stdin if open; atStart: a
   * stopped one's next start by this process (the API's docker run). replay (attach's logs=1)
   * runs once the session takes output, as dockerd, and is given when to end: what the
   * container wrote before the session took it (a millisecond more, not less: the log's clock
   * is ours, in nanoseconds), so a line written meanwhile is in one of them, never in neither.
   * The caller holds the session's output back until the replay is done.
   */
  async attach(c: ContainerRecord, given: AttachIo, opts: AttachOptions = {}): Promise<AttachSession> {
    // As dockerd: only StdinOnce without a terminal makes a client's end of input the container's.
    const io = { ...given, keepStdinOpen: !(c.config.StdinOnce && !c.config.Tty) };
    if (c.state.status !== "running" && c.state.status !== "paused") {
      if (!opts.atStart) throw new MydockerError("ENOTRUNNING", "You cannot attach to a stopped container, start it first");
      const atStart = this.attachAtStart(c.id, io, opts.signal);
      atStart.catch(() => {});
      await opts.replay?.(replayUntil());
      return atStart;
    }
    const session = await AttachSession.connect(this.ctx.runtime.attachSocket(c.id), io);
    try {
      await opts.replay?.(replayUntil());
    } catch (e) {
      session.detach();
      throw e;
    }
    this.ctx.events.record(containerEvent(c, "attach"));
    return session;
  }

  /**
   * Attaches io to the container's next start by this process, before its process runs, so
   * no output is missed; an abort of signal takes the waiter back (rejects with EINTR).
   */
  attachAtStart(id: string, io: AttachIo, signal?: AbortSignal): Promise<AttachSession> {
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(id) ?? [];
      const w: AttachWaiter = { io, resolve, reject };
      list.push(w);
      this.waiting.set(id, list);
      signal?.addEventListener("abort", () => {
        const left = (this.waiting.get(id) ?? []).filter((x) => x !== w);
        if (left.length) this.waiting.set(id, left);
        else this.waiting.delete(id);
        reject(new MydockerError("EINTR", "the attach was given up before the start"));
      });
    });
  }

  /** Connects the waiting clients to a created container's monitor; they learn of a failure too. */
  private async connectWaiting(id: string, failure?: unknown): Promise<AttachSession[]> {
    const waiters = this.waiting.get(id) ?? [];
    this.waiting.delete(id);
    const sessions: AttachSession[] = [];
    for (const w of waiters) {
      if (failure !== undefined) {
        w.reject(failure);
        continue;
      }
      try {
        const s = await AttachSession.connect(this.ctx.runtime.attachSocket(id), w.io);
        sessions.push(s);
        w.resolve(s);
      } catch (e) {
        w.reject(e);
      }
    }
    return sessions;
  }

  /** docker run -d: create and start in the background; resolves with the id once the process runs. */
  async runDetached(opts: CreateOptions): Promise<string> {
    const id = await this.create(opts);
    await this.start(id);
    return id;
  }

  /** docker run in the foreground, to exit: the container's end is recorded (and --rm applied) before this resolves. */
  async run(opts: CreateOptions, io: ForegroundIo): Promise<RunResult> {
    const { reconciler, containers, runtime, pendingOps } = this.ctx;
    const id = await this.create(opts);
    io.onCreate?.(id);
    pendingOps.begin(id, "run");
    let networkRun: string | undefined;
    try {
      let handle: RunHandle;
      try {
        const c = containers.get(id)!;
        const { spec, rootfsMount, net, reusable } = await this.runtimeInput(c);
        // Released after the run by someone else (the exit command, or this process later); a
        // reusable namespace is given back by this run's finish, at once.
        networkRun = reusable ? undefined : net.tag;
        // As docker, a foreground run keeps its log too: the monitor copies the output to both.
        const log = logSettings(c.hostConfig.LogConfig);
        const logOpts = log ? { logPath: path.join(containerDir(this.ctx.roots, c.id), "container.log"), logMaxBytes: log.maxBytes, logMaxFiles: log.maxFiles } : {};
        // The network is set up while the runtime prepares the container, and released by the
        // monitor's exit command once it has ended: neither in the caller's path.
        const release = networkRun && !this.o.releaseInProcess ? { exitCommand: this.o.exitCommand(c.id, networkRun) } : {};
        const network = { ...release, ...(net.ready ? { onPid: () => net.ready! } : {}) };
        handle = await runtime.run(c.id, spec, { rootfsMount, stdio: io.stdio, stdin: io.stdin, keepState: true, health: healthCheckFor(c, spec), publish: net.publish, ...logOpts, ...network });
        this.markRunning(c, handle.pid);
      } catch (failure) {
        const e = this.ctx.network.explainFailure(id, failure);
        await reconciler.abandon(id, e);
        throw e;
      }
      io.onStart?.(handle);
      let exitCode: number;
      try {
        ({ exitCode } = await handle.wait());
      } catch (e) {
        await reconciler.abandon(id, e);
        throw e;
      }
      await reconciler.finish(id, exitCode, networkRun ? "keep" : "release");
      if (networkRun && this.o.releaseInProcess) this.ctx.network.releaseLater(id, networkRun);
      return { id, exitCode };
    } finally {
      pendingOps.done(id, "run");
    }
  }
}
