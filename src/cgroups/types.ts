// The one interface both cgroup drivers (v1, v2 through cgroupfs) implement.
import type { LinuxResources } from "../spec/runtime.js";

export interface CgroupStats {
  cpuUsageNanos: number; // total CPU time consumed
  memoryUsage: number; // bytes, page cache excluded as docker does
  memoryLimit: number; // bytes; the host's memory when unlimited
  pids: number;
  blkioReadBytes: number;
  blkioWriteBytes: number;
  oomKills: number; // times the kernel's OOM killer killed in this cgroup
}

export interface Cgroup {
  /** The path below the cgroup root(s), e.g. "mydocker/<id>". */
  readonly path: string;
  /** The cgroup.procs (v2) / cgroup.procs of every v1 hierarchy the container joins. */
  procsFiles(): string[];
  addProcess(pid: number): void;
  /**
   * Files a single-threaded process writes "0" to, to move itself in (v1: every hierarchy's
   * `tasks`; v2: cgroup.procs). A thread moving itself costs v1 no RCU grace period, where
   * addProcess from outside does; and a restarted process joins with nobody's help.
   */
  selfJoinFiles(): string[];
  setResources(resources: LinuxResources): void;
  stats(): CgroupStats;
  /** CgroupStats.oomKills alone: what a container's end needs, without the other files. */
  oomKills(): number;
  /** PIDs of every process in the cgroup. */
  pids(): number[];
  freeze(): Promise<void>;
  thaw(): void;
  isFrozen(): boolean;
  /** SIGKILL every process in the cgroup (cgroup.kill on v2 where present). */
  killAll(): Promise<void>;
  /** Removes the cgroup directories (kills what is left first). Idempotent. */
  destroy(): Promise<void>;
}

export interface CgroupDriver {
  readonly version: 1 | 2;
  /** Creates (or opens, if it exists) the cgroup at path and applies resources. Refuses invalid values before creating anything. */
  create(path: string, resources?: LinuxResources): Cgroup;
  open(path: string): Cgroup | undefined;
  /** Paths (relative) of the direct children of a parent path; used to sweep leftovers. */
  children(parent: string): string[];
}
