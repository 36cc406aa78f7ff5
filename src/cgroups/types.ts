// The one interface both cgroup drivers (v1, v2 through cgroupfs) implement.
import type { LinuxResources } from "../spec/runtime.js";
import type { FileReader } from "../util/prefetched-files.js";

export interface CgroupStats {
  cpuUsageNanos: number; // total CPU time consumed
  memoryUsage: number; // bytes, page cache excluded as docker does
  memoryLimit: number; // bytes; the host's memory when unlimited
  pids: number;
  blkioReadBytes: number;
  blkioWriteBytes: number;
  oomKills: number; // times the kernel's OOM killer killed in this cgroup
}

/** CPU time in detail, as the Engine API's stats give it (more files to read: asked for apart). */
export interface CpuDetail {
  /** Per CPU (cgroup v1's cpuacct.usage_percpu; v2 keeps no such count). */
  perCpuNanos?: number[];
  userNanos: number;
  kernelNanos: number;
  /** cpu.stat: CFS periods elapsed, those in which the cgroup was throttled, and for how long. */
  periods: number;
  throttledPeriods: number;
  throttledNanos: number;
}

/** What docker stats shows: the statistics without the OOM count, one file fewer to read. */
export type CgroupUsage = Omit<CgroupStats, "oomKills">;

/** One hierarchy of the host as a container's /sys/fs/cgroup shows it (the runtime mounts it). */
export interface CgroupHierarchy {
  /** Its directory under the cgroup mount point: "memory", "cpu,cpuacct", "unified"; "" for a v2 host's one hierarchy. */
  dir: string;
  fstype: "cgroup" | "cgroup2";
  /** Mount data that names the hierarchy: "cpu,cpuacct", "none,name=systemd"; "" for cgroup2. */
  data: string;
  /** The container's own cgroup in it, as a host path. */
  own: string;
}

export interface Cgroup {
  /** The path below the cgroup root(s), e.g. "mydocker/<id>". */
  readonly path: string;
  /** The cgroup.procs of every hierarchy the container joins (v1 ones, and the unified one where mounted). */
  procsFiles(): string[];
  addProcess(pid: number): void;
  /**
   * Files a single-threaded process writes "0" to, to move itself in (v1: every hierarchy's
   * `tasks`; v2: cgroup.procs). A thread moving itself costs v1 no RCU grace period, where
   * addProcess from outside does; and a restarted process joins with nobody's help.
   */
  selfJoinFiles(): string[];
  /**
   * The cgroup2 directory a new process can be born in (clone3 CLONE_INTO_CGROUP, Linux 5.7)
   * where the driver was told the kernel has it; selfJoinFiles() then leaves it out. A
   * process moved there by a cgroup.procs write waits out an RCU grace period (~10 ms).
   */
  cloneInto(): string | undefined;
  /** Every hierarchy the cgroup has a directory in, for the container's /sys/fs/cgroup. */
  hierarchies(): CgroupHierarchy[];
  setResources(resources: LinuxResources): void;
  stats(): CgroupStats;
  /** The files usage() reads, for stats to read those of many cgroups at once. */
  usageFiles(): string[];
  /** read: where its files' texts come from (stats: read at once for many cgroups). */
  usage(read?: FileReader): CgroupUsage;
  cpuDetail(): CpuDetail;
  /** CgroupStats.oomKills alone: what a container's end needs, without the other files. */
  oomKills(): number;
  /** PIDs of every process in the cgroup. */
  pids(): number[];
  freeze(): Promise<void>;
  thaw(): void;
  /** The files isFrozen reads, for ps to read those of many cgroups at once. */
  freezerFiles(): string[];
  /** read: where its files' texts come from. */
  isFrozen(read?: FileReader): boolean;
  /** SIGKILL every process in the cgroup (cgroup.kill on v2 where present). */
  killAll(): Promise<void>;
  /** Its directory in each hierarchy: what destroy removes when no process is left. */
  directories(): string[];
  /** Removes the cgroup directories (kills what is left first). Idempotent. */
  destroy(): Promise<void>;
}

export interface CgroupDriver {
  readonly version: 1 | 2;
  /** Creates (or opens, if it exists) the cgroup at path and applies resources. Refuses invalid values before creating anything. */
  create(path: string, resources?: LinuxResources): Cgroup;
  open(path: string): Cgroup | undefined;
  /**
   * The cgroup at path, unchecked: for reading many cgroups, one stat(2) fewer each. A
   * cgroup that is gone reads as empty (no processes, zero usage).
   */
  at(path: string): Cgroup;
  /** Paths (relative) of the direct children of a parent path; used to sweep leftovers. */
  children(parent: string): string[];
}
