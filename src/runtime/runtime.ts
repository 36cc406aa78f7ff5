// The OCI runtime: create/start/state/kill/delete, run in the foreground, exec; and what a
// caller needs of a container's cgroup. It owns its run root's layout: callers ask it.
import type { CgroupDriver, CgroupStats, CgroupUsage, CpuDetail } from "../cgroups/types.js";
import type { LinuxResources, Process, Spec } from "../spec/runtime.js";
import { cgroupPids, cgroupStats, cgroupUsages, freezerCgroup, oomKilled, updateResources, type UsageTarget } from "./cgroup-access.js";
import type { HelperProgram } from "./compile.js";
import { readContainerState, readContainerStates } from "./container-state.js";
import { execProcess, processHandle, runHelper } from "./exec-process.js";
import { readHealth, type HealthState } from "./health-state.js";
import { hostRootIsInitramfs } from "./host-root.js";
import { launchContainer, runPoststart, startCreated } from "./launch-container.js";
import { Launcher } from "./launcher.js";
import { pinNetns } from "./netns-pin.js";
import type { RuntimeContext } from "./runtime-context.js";
import type {
  RuntimeState,
  RuntimeCreateOptions,
  ExecOptions,
  HelperTarget,
  PipedProcess,
  ProcessHandle,
  RunHandle,
  RunOptions,
  RuntimeOptions,
} from "./runtime-options.js";
import type { ShimExit } from "./shim.js";
import { defaultShimPath } from "./shim-binary.js";
import { containerExists, containerIds, readExitFile, StateDir, type ExitInfo } from "./state.js";
import { deleteContainer, killContainer, stopRestarts } from "./teardown.js";

export class Runtime {
  /** The static shim binary; also a container's init when called mydocker-init. */
  readonly shimPath: string;
  private readonly ctx: RuntimeContext;
  private readonly useLauncher: boolean;
  private launcher?: Promise<Launcher>;
  private initramfs?: boolean;

  constructor(o: RuntimeOptions) {
    this.shimPath = o.shimPath ?? defaultShimPath();
    this.useLauncher = o.launcher ?? false;
    const cgroups = o.cgroups;
    let driver: CgroupDriver | null | undefined = typeof cgroups === "function" ? undefined : cgroups;
    this.ctx = {
      runRoot: o.runRoot,
      shimPath: this.shimPath,
      vforkShims: o.vforkShims ?? false,
      get cgroups(): CgroupDriver | null {
        if (driver === undefined) driver = (cgroups as () => CgroupDriver | null)();
        return driver;
      },
      debug: o.debug ?? (() => {}),
      warn: o.warn ?? o.debug ?? (() => {}),
      launcherFor: () => this.launcherFor(),
      noPivot: () => this.noPivot(),
    };
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

  /** pivot_root, unless the host's root is an initramfs, which pivot_root cannot move: chroot then. */
  private noPivot(): boolean {
    if (this.initramfs === undefined) {
      this.initramfs = hostRootIsInitramfs();
      if (this.initramfs) this.ctx.debug("the host's root is an initramfs, where pivot_root cannot work: switching roots with chroot");
    }
    return this.initramfs;
  }

  /** OCI create: the container's init is set up and waits for start. */
  async create(id: string, input: Spec, opts: RuntimeCreateOptions = {}): Promise<RuntimeState> {
    await launchContainer(this.ctx, id, input, opts, "create");
    return this.state(id);
  }

  /** OCI start: lets a created container exec its process. */
  async start(id: string): Promise<void> {
    await startCreated(this.ctx, id);
  }

  /** Creates and starts in one go, in the foreground: the caller waits on the handle. */
  async run(id: string, input: Spec, opts: RunOptions): Promise<RunHandle> {
    const { shim, pid } = await launchContainer(this.ctx, id, input, opts, "run");
    // The state is read only for the hooks it is given to.
    if (input.hooks?.poststart?.length) await runPoststart(this.ctx, this.state(id));
    const cleanup = async (exit: ShimExit): Promise<ShimExit> => {
      if (opts.keepState) return exit;
      // Somebody may have deleted it meanwhile; the exit status is what the caller waits for.
      await this.delete(id, { force: true }).catch((e: Error) => this.ctx.debug(`run ${id}: cleanup: ${e.message}`));
      return exit;
    };
    const exited = shim.exited.then(cleanup);
    const handle = processHandle(shim, pid, () => exited);
    return opts.stdio === "pipe" ? { ...handle, output: shim.output } : handle;
  }

  /** Starts another process in a running container. */
  exec(id: string, input: Process, opts: ExecOptions = {}): Promise<ProcessHandle> {
    return execProcess(this.ctx, id, input, opts);
  }

  /** A static host program over a container's files with piped stdio (see exec-process.ts). */
  helper(target: HelperTarget, h: HelperProgram): Promise<PipedProcess> {
    return runHelper(this.ctx, target, h);
  }

  /** A new network namespace pinned on FILE (an existing empty file), made by a shim (netns-pin.ts). */
  pinNetns(file: string): Promise<void> {
    return pinNetns(this.ctx, file);
  }

  /** Where a container's monitor serves attach clients (created with attach). */
  attachSocket(id: string): string {
    return new StateDir(this.ctx.runRoot, id).attachSocket;
  }

  /** Where the monitor of an exec (ExecOptions.attach) serves its clients: in the container's state directory, gone with it. */
  execAttachSocket(id: string, name: string): string {
    return new StateDir(this.ctx.runRoot, id).execAttachSocket(name);
  }

  /** Where the monitor of a detached exec (ExecOptions.exitFile) records its end: gone with the container's state. */
  execExitFile(id: string, name: string): string {
    return new StateDir(this.ctx.runRoot, id).execExitFile(name);
  }

  /** How a detached exec ended, once its monitor wrote it. */
  execExit(id: string, name: string): ExitInfo | undefined {
    return readExitFile(this.execExitFile(id, name));
  }

  state(id: string): RuntimeState {
    return readContainerState(this.ctx, id);
  }

  /** The states of many containers, their files read at once; undefined for one whose state cannot be read. */
  states(ids: string[]): (RuntimeState | undefined)[] {
    return readContainerStates(this.ctx, ids);
  }

  /** The status and last results of the container's health check (created with health), if it has any yet. */
  health(id: string): HealthState | undefined {
    return readHealth(new StateDir(this.ctx.runRoot, id));
  }

  /** Whether the container has a state directory under the run root. */
  exists(id: string): boolean {
    return containerExists(this.ctx.runRoot, id);
  }

  /** The ids of the containers under the run root (not its own entries, such as the seccomp cache). */
  ids(): string[] {
    return containerIds(this.ctx.runRoot);
  }

  list(): RuntimeState[] {
    const out: RuntimeState[] = [];
    for (const id of this.ids()) {
      try {
        out.push(this.state(id));
      } catch (e) {
        this.ctx.debug(`list: skipping ${id}: ${(e as Error).message}`);
      }
    }
    return out;
  }

  /** Tells a monitor that restarts its process to stop doing so (docker stop, docker kill). */
  stopRestarts(id: string): void {
    stopRestarts(this.ctx, id);
  }

  /** Sends a signal to the container's init (all: to every process in its cgroup). */
  async kill(id: string, sig: string | number, opts: { all?: boolean } = {}): Promise<void> {
    killContainer(this.ctx, id, sig, opts.all ?? false);
  }

  /** Removes a stopped container (force: kills it first): its cgroup and its state directory. */
  delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    return deleteContainer(this.ctx, id, opts.force ?? false);
  }

  async pause(id: string): Promise<void> {
    await freezerCgroup(this.ctx, id, "running").freeze();
  }

  async resume(id: string): Promise<void> {
    freezerCgroup(this.ctx, id, "paused").thaw();
  }

  /** Whether the kernel's OOM killer killed in the container's cgroup (also once it stopped, until deleted). */
  oomKilled(id: string): boolean {
    return oomKilled(this.ctx, id);
  }

  /** New limits for the cgroup of a container that has not stopped; ENOTRUNNING when it has none. */
  update(id: string, resources: LinuxResources): void {
    updateResources(this.ctx, id, resources);
  }

  /** The statistics of a not stopped container's cgroup; ENOTRUNNING when it has none. */
  stats(id: string): CgroupStats {
    return cgroupStats(this.ctx, id);
  }

  /**
   * What docker stats shows of each container's cgroup (with cpuDetail, the API's CPU figures
   * too); undefined for one where no process runs. A target's cgroupsPath, its spec's, is read
   * first (stats of many containers then reads no state of each); its state says where the
   * cgroup is when no process runs there.
   */
  usages(targets: UsageTarget[]): ((CgroupUsage & { cpu?: CpuDetail }) | undefined)[] {
    return cgroupUsages(this.ctx, targets);
  }

  /** Host pids of the processes in a not stopped container's cgroup; ENOTRUNNING when it has none. */
  pids(id: string): number[] {
    return cgroupPids(this.ctx, id);
  }
}
