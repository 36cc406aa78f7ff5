// A container's cgroup, through its state: limits, statistics, processes, freezing.
import { prefetchedReader } from "../cgroups/fs.js";
import type { FileReader } from "../util/prefetched-files.js";
import type { Cgroup, CgroupStats, CgroupUsage, CpuDetail } from "../cgroups/types.js";
import type { ContainerStatus, LinuxResources } from "../spec/runtime.js";
import { MydockerError } from "../util/errors.js";
import { cgroupOf, readContainerState } from "./container-state.js";
import type { RuntimeContext } from "./runtime-context.js";
import { StateDir, type StateRecord } from "./state.js";

/** Whether the kernel's OOM killer killed in the container's cgroup; also once it stopped, until it is deleted. */
export function oomKilled(ctx: RuntimeContext, id: string): boolean {
  const cgroup = cgroupOf(ctx, new StateDir(ctx.runRoot, id).readState());
  return (cgroup?.oomKills() ?? 0) > 0;
}

/**
 * The cgroup of a container whose exit is not recorded. Not its full state (each process
 * checked, the freezer read): stats reads every container at each sample, and that costs
 * about as much again as the cgroup's own files.
 */
function liveCgroup(ctx: RuntimeContext, id: string): Cgroup {
  let cgroup: Cgroup | undefined;
  try {
    const sd = new StateDir(ctx.runRoot, id);
    const rec = sd.readState();
    cgroup = sd.readExit() ? undefined : cgroupOf(ctx, rec);
  } catch (e) {
    if (!(e instanceof MydockerError && e.code === "not-found")) throw e;
  }
  if (!cgroup) throw new MydockerError("ENOTRUNNING", `container ${id} is not running`);
  return cgroup;
}

/** New limits for a container's cgroup (docker update); validated by the cgroup driver before any is written. */
export function updateResources(ctx: RuntimeContext, id: string, resources: LinuxResources): void {
  liveCgroup(ctx, id).setResources(resources);
}

export function cgroupStats(ctx: RuntimeContext, id: string): CgroupStats {
  return liveCgroup(ctx, id).stats();
}

/** A container stats reads, and whether the API's CPU figures are read too. */
export interface UsageTarget {
  id: string;
  /** The spec's linux.cgroupsPath: read without the container's state when a process runs there. */
  cgroupsPath?: string;
  cpuDetail?: boolean;
}

/**
 * What docker stats shows of each container's cgroup; undefined for one where no process
 * runs (it ended, or has no cgroup). The cgroup files of all of them are read at once, by a
 * few threads (stats reads every container at each sample); a container's state is read only
 * when no process runs at the path its spec named (it is stopped, or runs elsewhere).
 */
export function cgroupUsages(ctx: RuntimeContext, targets: UsageTarget[]): ((CgroupUsage & { cpu?: CpuDetail }) | undefined)[] {
  const read = (cgroup: Cgroup, t: UsageTarget, files?: FileReader) => {
    const usage = cgroup.usage(files);
    if (usage.pids === 0) return undefined;
    return t.cpuDetail ? { ...usage, cpu: cgroup.cpuDetail() } : usage;
  };
  const cgroups = targets.map((t) => (t.cgroupsPath !== undefined && ctx.cgroups ? ctx.cgroups.at(t.cgroupsPath) : undefined));
  const prefetched = prefetchedReader(cgroups.flatMap((c) => c?.usageFiles() ?? []));
  return targets.map((t, i) => {
    const cgroup = cgroups[i];
    const usage = cgroup ? read(cgroup, t, prefetched) : undefined;
    if (usage) return usage;
    let rec: StateRecord;
    try {
      rec = new StateDir(ctx.runRoot, t.id).readState();
    } catch (e) {
      if (e instanceof MydockerError && e.code === "not-found") return undefined;
      throw e;
    }
    if (rec.cgroupPath === null || !ctx.cgroups) return undefined;
    return read(ctx.cgroups.at(rec.cgroupPath), t);
  });
}

/** Host pids of every process in the container's cgroup. */
export function cgroupPids(ctx: RuntimeContext, id: string): number[] {
  return liveCgroup(ctx, id).pids();
}

/** The cgroup of a container that is in that status, to freeze or thaw. */
export function freezerCgroup(ctx: RuntimeContext, id: string, status: ContainerStatus): Cgroup {
  const st = readContainerState(ctx, id);
  if (st.status !== status) throw new MydockerError("bad-state", `container "${id}" is ${st.status}, not ${status}`);
  const cgroup = cgroupOf(ctx, st);
  if (!cgroup) throw new MydockerError("unsupported", `container "${id}" has no cgroup to freeze`);
  return cgroup;
}
