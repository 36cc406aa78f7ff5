// Keeps container records true to the kernel: finds containers by name or id, records a
// container's end once (whoever sees it first: its monitor's exit command, the caller of a
// foreground run, any command that finds it stopped), releases the runtime's resources,
// applies --rm, removes containers, and finishes what killed commands left half done.
import { MydockerError } from "../../util/errors.js";
import { removeTree } from "../../util/remove-tree.js";
import type { RuntimeState } from "../../runtime/index.js";
import type { ContainerRecord, ContainerState } from "../container-store.js";
import { dockerHealth, type Health } from "../health/check.js";
import { resolveContainer } from "../names.js";
import { containerDir } from "../paths.js";
import type { PendingOp } from "../pending-ops.js";
import { isAnonymous } from "../volumes/store.js";
import { isRunning, NEVER, type ContainerContext, type Reconciling } from "./context.js";
import { containerEvent } from "../events/actors.js";
import { formatRfc3339NanoFixed, parseRfc3339Nano, type UnixNanos } from "../timestamps.js";

/** Statuses whose record may be behind the kernel: the process may have ended unseen. */
const ACTIVE = new Set(["running", "paused", "restarting", "created"]);

/** Whether the runtime's state may say more than the record: a run that was started. */
function needsRefresh(c: ContainerRecord): boolean {
  return ACTIVE.has(c.state.status) && c.state.startedAt !== NEVER;
}

export class Reconciler implements Reconciling {
  /** Ends seen by refresh(), being recorded in the background. */
  private readonly pending: Promise<void>[] = [];

  constructor(private readonly ctx: ContainerContext) {}

  private runtimeState(id: string): RuntimeState | undefined {
    try {
      return this.ctx.runtime.state(id);
    } catch {
      return undefined;
    }
  }

  /** A container by full id, unique id prefix or name, brought up to date. */
  resolve(query: string): ContainerRecord {
    const id = resolveContainer(this.ctx.containers, query);
    return this.refresh(this.ctx.containers.get(id)!);
  }

  /**
   * Reads the runtime's state of a container and writes what changed into its record: a
   * restart its monitor made, a pause, or its end (recorded in the background: settle()).
   */
  refresh(c: ContainerRecord, known?: Map<string, RuntimeState | undefined>): ContainerRecord {
    if (!needsRefresh(c)) return c;
    const st = known && known.has(c.id) ? known.get(c.id) : this.runtimeState(c.id);
    const status = st?.status ?? "stopped";
    const { containers } = this.ctx;
    if (st?.restarts && st.restarts.count !== c.restartCount && status !== "stopped") {
      // The monitor ran it again: this run's pid and start.
      const state: ContainerState = { ...c.state, status: status === "paused" ? "paused" : "running", pid: st.pid ?? 0, startedAt: st.restarts.startedAt };
      containers.setState(c.id, state);
      containers.setRestartCount(c.id, st.restarts.count);
      return { ...c, state, restartCount: st.restarts.count };
    }
    if (status === "stopped") {
      this.finishLater(c.id);
      return containers.get(c.id) ?? { ...c, state: { ...c.state, status: "removing" } };
    }
    const health = this.health(c);
    if ((status === "paused") !== (c.state.status === "paused") || health !== c.state.health) {
      const state: ContainerState = { ...c.state, status: status === "paused" ? "paused" : "running", health };
      containers.setState(c.id, state);
      return { ...c, state };
    }
    return c;
  }

  /** The health its monitor last wrote, when it differs from the record's (else the record's own). */
  private health(c: ContainerRecord): Health | undefined {
    if (!c.state.health) return undefined;
    const now = this.ctx.runtime.health(c.id);
    if (!now) return c.state.health;
    const fresh = dockerHealth(now);
    if (JSON.stringify(fresh) === JSON.stringify(c.state.health)) return c.state.health;
    // Seen when the record is brought up to date (the monitor runs the checks, no daemon watches).
    if (fresh.Status !== c.state.health.Status) this.ctx.events.record(containerEvent(c, `health_status: ${fresh.Status}`));
    return fresh;
  }

  /** Starts recording a container's end without waiting; settle() waits for every such. */
  private finishLater(id: string): void {
    // Another command may be releasing the same container right now: either one finishing is enough.
    this.pending.push(this.finish(id).catch((e) => this.ctx.debug(`release of ${id}: ${(e as Error).message}`)));
  }

  /** Waits for the ends refresh() started recording. */
  async settle(): Promise<void> {
    while (this.pending.length) await this.pending.shift();
  }

  /**
   * Every container (all: the stopped ones too), up to date, newest first. Without all, only
   * the records that say they run are read: a stopped one cannot have started unseen.
   */
  async list(all = false): Promise<ContainerRecord[]> {
    const { containers } = this.ctx;
    const records = all ? containers.all() : containers.active();
    // The runtime's states of all that may have changed, their files read at once.
    const ids = records.filter(needsRefresh).map((c) => c.id);
    const states = new Map(this.ctx.runtime.states(ids).map((st, i) => [ids[i]!, st]));
    const out = records.map((c) => this.refresh(c, states));
    const running = (c: ContainerRecord) => isRunning(c.state.status);
    if (this.pending.length === 0) return all ? out : out.filter(running);
    // Some ended meanwhile: their releases are awaited and those records read again (--rm removes).
    await this.settle();
    const fresh = out.map((c) => (ACTIVE.has(c.state.status) ? c : containers.get(c.id))).filter((c): c is ContainerRecord => c !== undefined);
    return all ? fresh : fresh.filter(running);
  }

  /** Records a container's end and releases what it held (cgroup, state directory); removes it with --rm. */
  async finish(id: string, exitCode?: number, network: "release" | "keep" = "release"): Promise<void> {
    const { containers, runtime } = this.ctx;
    const c = containers.get(id);
    if (!c) return;
    const st = this.runtimeState(id);
    // A live run is not this one: the container was started again meanwhile.
    if (st && st.status !== "stopped") return;
    const code = exitCode ?? st?.exit?.exitCode ?? (c.state.status === "running" ? 137 : c.state.exitCode);
    const ended: ContainerState = {
      ...c.state,
      status: "exited",
      pid: 0,
      exitCode: code,
      oomKilled: st ? runtime.oomKilled(id) : false,
      finishedAt: st?.exit?.finishedAt ?? new Date().toISOString(),
      ...(st?.restarts ? { startedAt: st.restarts.startedAt } : {}),
    };
    // The monitor's exit command and any command that finds the container stopped may all
    // get here: one of them records the end, releases, and applies --rm.
    if (!containers.claimFinish(id, c.state.startedAt, ended)) return;
    // Stopped while restarting: the run's die is recorded already.
    if (c.state.status !== "restarting") this.ctx.events.record(containerEvent(c, "die", { exitCode: String(code) }));
    if (st?.restarts) containers.setRestartCount(id, st.restarts.count);
    // Not forced: should a new run have begun meanwhile, it is left alone.
    if (!(await this.releaseStopped(id, network))) return;
    if (c.hostConfig.AutoRemove) this.destroy(c);
  }

  /** After a failed start: nothing of the runtime is left; the container is removed (--rm) or keeps the error. */
  async abandon(id: string, err?: unknown): Promise<void> {
    await this.releaseRuntime(id);
    const c = this.ctx.containers.get(id);
    if (!c) return;
    if (c.hostConfig.AutoRemove) {
      this.destroy(c);
      return;
    }
    const exitCode = err instanceof MydockerError ? err.exitStatus : 125;
    this.ctx.containers.setState(id, { ...c.state, status: c.state.startedAt === NEVER ? "created" : "exited", pid: 0, exitCode, error: (err as Error)?.message ?? "" });
  }

  /** Releases a stopped container's runtime state; false when a live run holds it. */
  private async releaseStopped(id: string, network: "release" | "keep" = "release"): Promise<boolean> {
    try {
      await this.ctx.runtime.delete(id);
    } catch (e) {
      if (e instanceof MydockerError && e.code === "bad-state" && this.ctx.runtime.exists(id)) return false;
      if (this.ctx.runtime.exists(id)) throw e;
    }
    // "keep": the monitor's exit command releases it, off the caller's path.
    if (network === "release") await this.ctx.network.teardown(id);
    return true;
  }

  /** Kills whatever runs of the container and releases its runtime state. */
  async releaseRuntime(id: string): Promise<void> {
    try {
      await this.ctx.runtime.delete(id, { force: true });
    } catch (e) {
      if (!(e instanceof MydockerError)) return;
      if (this.ctx.runtime.exists(id)) throw e;
    }
    // Its processes are gone: nothing uses its network namespace any more.
    await this.ctx.network.teardownAll(id);
  }

  /** Deletes a container's files and its record, and its anonymous volumes when asked. */
  destroy(c: ContainerRecord, volumes = c.hostConfig.AutoRemove): void {
    const { containers, volumes: store } = this.ctx;
    removeTree(containerDir(this.ctx.roots, c.id));
    this.ctx.network.forget(c.id);
    if (containers.delete(c.id)) this.ctx.events.record(containerEvent(c, "destroy"));
    if (!volumes) return;
    for (const name of c.hostConfig.Volumes ?? []) {
      const v = store.get(name);
      if (v && isAnonymous(v)) store.remove(name, (n) => containers.usingVolume(n));
    }
  }

  /** docker rm: refuses a running container unless forced. */
  async remove(query: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<string> {
    const c = this.resolve(query);
    await this.settle();
    if (isRunning(c.state.status) && !opts.force) {
      throw new MydockerError(
        "ERUNNING",
        `cannot remove container "/${c.name}": container is ${c.state.status}: stop the container before removing or force remove`,
      );
    }
    this.ctx.pendingOps.begin(c.id, "remove");
    await this.releaseRuntime(c.id);
    this.destroy(c, Boolean(opts.volumes));
    this.ctx.pendingOps.done(c.id, "remove");
    return c.id;
  }

  /**
   * Run by a detached container's monitor when the container exits (its exit command):
   * records the exit, releases the runtime's resources and applies --rm, for the run this
   * monitor watched only: it may have been released already or started again meanwhile.
   */
  async cleanupAfterExit(id: string, networkRun?: string): Promise<void> {
    if (this.ctx.containers.get(id) && this.runtimeState(id)?.status === "stopped") await this.finish(id);
    // The run's network, whoever recorded its end (a foreground run leaves it to this command).
    if (networkRun) await this.ctx.network.teardown(id, networkRun);
    // Off every caller's path: what the next runs on the default bridge take (pool.ts).
    await this.ctx.network.refillPool();
  }

  /**
   * Run by a container's monitor, whether or not any engine process runs, when a run ended
   * that it will run again (docker's die; the container is restarting until then), and when
   * the next run began (start; the record is brought up to date).
   */
  restarting(id: string, exitCode: number, finished: UnixNanos): void {
    const c = this.ctx.containers.get(id);
    if (!c) return;
    this.ctx.events.record(containerEvent(c, "die", { exitCode: String(exitCode) }), finished);
    // The note may come after a command saw the next run and recorded it (refresh), or after
    // a stop recorded the end: only the run that died is marked, else a running container
    // would read "restarting" (exec refused) until the start note came.
    const next = this.runtimeState(id)?.restarts;
    if (next && next.count === c.restartCount && (parseRfc3339Nano(next.startedAt) ?? 0n) > finished) return;
    const state: ContainerState = { ...c.state, status: "restarting", pid: 0, exitCode, finishedAt: formatRfc3339NanoFixed(finished) };
    this.ctx.containers.replaceRun(id, c.state.startedAt, ["running", "paused"], state);
  }

  restarted(id: string, started: UnixNanos): void {
    const c = this.ctx.containers.get(id);
    if (!c) return;
    this.ctx.events.record(containerEvent(c, "start"), started);
    // Running again, whatever an earlier command saw of the restart (its die may have come after it).
    const st = this.runtimeState(id);
    if (!st?.restarts || st.status === "stopped") return;
    this.ctx.containers.setState(id, { ...c.state, status: st.status === "paused" ? "paused" : "running", pid: st.pid ?? 0, startedAt: st.restarts.startedAt });
    this.ctx.containers.setRestartCount(id, st.restarts.count);
  }

  /**
   * Finishes or undoes what killed commands left half done: a process made by a start that
   * never let it go, a foreground run whose caller did not see its end (--rm included), a
   * remove that stopped half way. Costs one query when nothing crashed.
   */
  async recover(): Promise<void> {
    const { pendingOps } = this.ctx;
    for (const op of pendingOps.orphaned()) {
      try {
        if (await this.recoverOne(op)) pendingOps.settled(op);
      } catch (e) {
        this.ctx.debug(`recovering the ${op.kind} of ${op.id}: ${(e as Error).message}`);
      }
    }
  }

  /** false: the operation's container still runs without its caller; it is looked at again next time. */
  private async recoverOne(op: PendingOp): Promise<boolean> {
    const c = this.ctx.containers.get(op.id);
    if (!c) {
      await this.releaseRuntime(op.id);
      return true;
    }
    if (op.kind === "remove") {
      await this.releaseRuntime(c.id);
      this.destroy(c);
      return true;
    }
    const live = this.runtimeState(c.id)?.status;
    if (op.kind === "freeze") {
      // A commit or export killed while it read the container's files left it frozen.
      if (live === "paused") await this.ctx.runtime.resume(c.id);
      if (c.state.status === "paused") this.ctx.containers.setState(c.id, { ...c.state, status: "running" });
      return true;
    }
    const started = c.state.status === "running" || c.state.status === "paused";
    // A start killed after it let the process go: the container runs as it should.
    if (op.kind === "start" && started && (live === "running" || live === "paused")) return true;
    // A foreground run whose caller died goes on under its monitor, as docker's would.
    if (op.kind === "run" && started && live !== undefined && live !== "stopped") return false;
    if (started) await this.finish(c.id);
    else await this.abandon(c.id, new MydockerError("EINTR", "the command that started it was killed"));
    const left = this.ctx.containers.get(c.id);
    if (left?.hostConfig.AutoRemove && !ACTIVE.has(left.state.status)) {
      await this.releaseRuntime(c.id);
      this.destroy(left);
    }
    return true;
  }

  /** recover(), and the runtime state of containers the store no longer knows. */
  async sweep(): Promise<void> {
    await this.recover();
    // The records after the runtime's list: a container's record is written before its
    // runtime state, so one being created right now by another command is always known here.
    const ids = this.ctx.runtime.ids();
    const known = new Set(this.ctx.containers.refs().map((r) => r.id));
    for (const id of ids) {
      if (!known.has(id)) await this.releaseRuntime(id).catch((e) => this.ctx.debug(`sweep ${id}: ${(e as Error).message}`));
    }
    // Network runs left by a remove, a release or a teardown that a kill cut short.
    await this.ctx.network.sweep((id) => {
      if (!known.has(id)) return ids.includes(id) ? "active" : "gone";
      const c = this.ctx.containers.get(id);
      return c && !ACTIVE.has(c.state.status) && !this.ctx.runtime.exists(id) ? "idle" : "active";
    });
  }
}
