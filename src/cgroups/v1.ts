// The cgroup v1 driver (cgroupfs): one directory per hierarchy the container joins, every
// hierarchy the host mounts, and on a hybrid host the unified (cgroup2) one too: a process
// left at a hierarchy's root would see, and with a mount control, the host's whole tree.
import { mkdirSync, rmdirSync } from "node:fs";
import { basename, join } from "node:path";
import type { LinuxResources } from "../spec/runtime.js";
import { isErrno, MydockerError } from "../util/errors.js";
import { childDirs, hostMemory, isDir, keyedValue, normalizeCgroupPath, readKeyed, readNumber, readOptional, removeIfEmpty, removeCgroupTree, treePids, waitUntil, writeValue } from "./fs.js";
import type { FileReader } from "../util/prefetched-files.js";
import { killByPids } from "./lifecycle.js";
import type { Cgroup, CgroupDriver, CgroupHierarchy, CgroupStats, CgroupUsage, CpuDetail } from "./types.js";

const NANOS_PER_TICK = 1e9 / 100;
import { applyV1Resources } from "./v1-resources.js";
import { validateResources } from "./validate.js";

export interface V1Options {
  /** Subsystem (or name=X) -> mount point, e.g. { memory: "/sys/fs/cgroup/memory" } (a fake tree in tests). */
  mounts: Record<string, string>;
  /** Mount point -> the hierarchy's own flags ("xattr"), named again when the container mounts it. */
  flags?: Record<string, string[]>;
  /** Mount point of a hybrid host's cgroup2 hierarchy: no limits there, but a directory of the container's own. */
  unified?: string;
  /** The kernel has CLONE_INTO_CGROUP: a child is born in the unified cgroup rather than moved there. */
  cloneInto?: boolean;
}

/** Where a cgroup's directories live: the v1 hierarchies (subsystem -> mount point) and the unified one. */
interface V1Layout {
  mounts: ReadonlyMap<string, string>;
  flags: Record<string, string[]>;
  unified?: string;
  cloneInto: boolean;
  /** The mount point of every hierarchy, the unified one last: worked out once, not per cgroup. */
  hierarchyMounts: string[];
}

export class V1Driver implements CgroupDriver {
  readonly version = 1 as const;
  private readonly layout: V1Layout;

  constructor(options: V1Options) {
    const mounts = new Map(Object.entries(options.mounts));
    this.layout = {
      mounts,
      flags: options.flags ?? {},
      unified: options.unified,
      cloneInto: options.cloneInto ?? false,
      hierarchyMounts: hierarchyMounts(mounts, options.unified),
    };
  }

  create(path: string, resources?: LinuxResources): Cgroup {
    if (resources) validateResources(resources, 1);
    const cgroup = new V1Cgroup(this.layout, normalizeCgroupPath(path));
    const made = cgroup.make();
    try {
      if (resources) cgroup.setResources(resources);
    } catch (e) {
      for (const dir of made) rmdirSync(dir);
      throw e;
    }
    return cgroup;
  }

  open(path: string): Cgroup | undefined {
    const cgroup = new V1Cgroup(this.layout, normalizeCgroupPath(path));
    return cgroup.exists() ? cgroup : undefined;
  }

  at(path: string): Cgroup {
    return new V1Cgroup(this.layout, normalizeCgroupPath(path));
  }

  children(parent: string): string[] {
    const rel = normalizeCgroupPath(parent);
    const names = new Set(this.layout.hierarchyMounts.flatMap((m) => childDirs(join(m, rel))));
    return [...names].sort().map((n) => `${rel}/${n}`);
  }
}

/** One mount point per hierarchy (co-mounted subsystems such as cpu,cpuacct share one), the unified one last. */
function hierarchyMounts(subsystems: ReadonlyMap<string, string>, unified: string | undefined): string[] {
  const mounts = [...new Set(subsystems.values())];
  return unified === undefined ? mounts : [...mounts, unified];
}

/** What names a v1 hierarchy in mount(2)'s data: its controllers ("none" when it has none), its name= and its flags. */
function hierarchyData(subsystems: string[], flags: string[]): string {
  const controllers = subsystems.filter((s) => !s.startsWith("name="));
  return [...(controllers.length > 0 ? controllers : ["none"]), ...subsystems.filter((s) => s.startsWith("name=")), ...flags].join(",");
}

class V1Cgroup implements Cgroup {
  private readonly mounts: ReadonlyMap<string, string>;
  private readonly flags: Record<string, string[]>;
  private readonly unifiedMount?: string;
  private readonly cloneIntoUnified: boolean;
  /** The mount point of every hierarchy, the unified one last. */
  private readonly hierarchyMounts: string[];

  constructor(
    layout: V1Layout,
    readonly path: string,
  ) {
    this.mounts = layout.mounts;
    this.flags = layout.flags;
    this.unifiedMount = layout.unified;
    this.cloneIntoUnified = layout.cloneInto;
    this.hierarchyMounts = layout.hierarchyMounts;
  }

  // The path is normalized (no empty, "." or ".." part): joined without path.join, which stats
  // would call five times for each of a thousand containers.
  private dirOf = (subsystem: string): string | undefined => {
    const mount = this.mounts.get(subsystem);
    return mount === undefined ? undefined : `${mount}/${this.path}`;
  };

  directories(): string[] {
    return this.hierarchyMounts.map((m) => join(m, this.path));
  }

  hierarchies(): CgroupHierarchy[] {
    const byMount = new Map<string, string[]>();
    for (const [subsystem, mount] of this.mounts) byMount.set(mount, [...(byMount.get(mount) ?? []), subsystem]);
    const out: CgroupHierarchy[] = [...byMount].map(([mount, subsystems]) => ({
      dir: basename(mount),
      fstype: "cgroup",
      data: hierarchyData(subsystems, this.flags[mount] ?? []),
      own: join(mount, this.path),
    }));
    const unified = this.unifiedDir();
    if (unified !== undefined) out.push({ dir: basename(this.unifiedMount as string), fstype: "cgroup2", data: "", own: unified });
    return out;
  }

  exists(): boolean {
    return this.directories().some(isDir);
  }

  /** Creates the directories level by level; returns the leaf directories it made. */
  make(): string[] {
    const made: string[] = [];
    const cpusetMount = this.mounts.get("cpuset");
    for (const mount of this.hierarchyMounts) {
      // Usually the parents exist: one mkdir then, and the levels only when it says ENOENT.
      if (this.makeLeaf(mount, mount === cpusetMount)) {
        made.push(join(mount, this.path));
        continue;
      }
      let dir = mount;
      for (const part of this.path.split("/")) {
        dir = join(dir, part);
        let fresh = true;
        try {
          mkdirSync(dir);
        } catch (e) {
          if (!isErrno(e, "EEXIST")) throw new MydockerError("cgroup_create", `cannot create cgroup ${dir}: ${(e as Error).message}`);
          fresh = false;
        }
        if (fresh && dir === join(mount, this.path)) made.push(dir);
      }
      if (mount === cpusetMount) inheritCpusets(mount, this.path, false);
    }
    return made;
  }

  /** The leaf directory alone; false when a parent is missing (or it exists already). */
  private makeLeaf(mount: string, cpuset: boolean): boolean {
    const dir = join(mount, this.path);
    try {
      mkdirSync(dir);
    } catch (e) {
      if (isErrno(e, "ENOENT") || isErrno(e, "EEXIST")) return false;
      throw new MydockerError("cgroup_create", `cannot create cgroup ${dir}: ${(e as Error).message}`);
    }
    if (cpuset) inheritCpusets(mount, this.path, true);
    return true;
  }

  procsFiles(): string[] {
    return this.directories().map((d) => join(d, "cgroup.procs"));
  }

  addProcess(pid: number): void {
    for (const file of this.procsFiles()) writeValue(file, pid);
  }

  /** v1 `tasks` (the thread alone: no threadgroup lock); the unified cgroup.procs only has the whole process. */
  selfJoinFiles(): string[] {
    const unified = this.unifiedDir();
    return this.directories()
      .filter((d) => d !== unified || !this.cloneIntoUnified)
      .map((d) => join(d, d === unified ? "cgroup.procs" : "tasks"));
  }

  /** Absent for a container made before the driver joined the unified hierarchy: its execs are not refused. */
  cloneInto(): string | undefined {
    const dir = this.unifiedDir();
    return this.cloneIntoUnified && dir !== undefined && isDir(dir) ? dir : undefined;
  }

  private unifiedDir(): string | undefined {
    return this.unifiedMount === undefined ? undefined : join(this.unifiedMount, this.path);
  }

  setResources(resources: LinuxResources): void {
    validateResources(resources, 1);
    applyV1Resources(this.dirOf, resources);
  }

  stats(): CgroupStats {
    return { ...this.usage(), oomKills: this.oomKills() };
  }

  usageFiles(): string[] {
    const memDir = this.dirOf("memory");
    const cpuacct = this.dirOf("cpuacct");
    const pidsDir = this.dirOf("pids");
    const blkio = this.dirOf("blkio");
    return [
      ...(memDir ? [`${memDir}/memory.usage_in_bytes`, `${memDir}/memory.stat`] : []),
      ...(cpuacct ? [`${cpuacct}/cpuacct.usage`] : []),
      ...(pidsDir ? [`${pidsDir}/pids.current`] : []),
      ...(blkio ? [`${blkio}/blkio.throttle.io_service_bytes_recursive`] : []),
    ];
  }

  usage(read: FileReader = readOptional): CgroupUsage {
    const memDir = this.dirOf("memory");
    const usage = memDir ? (readNumber(`${memDir}/memory.usage_in_bytes`, read) ?? 0) : 0;
    const memStat = memDir ? (read(`${memDir}/memory.stat`) ?? "") : "";
    // The limit in force, the lowest of the cgroup's own and its parents': memory.stat has it,
    // so memory.limit_in_bytes need not be read too.
    const limit = keyedValue(memStat, "hierarchical_memory_limit") ?? (memDir ? readNumber(`${memDir}/memory.limit_in_bytes`, read) : undefined) ?? Infinity;
    const cpuacct = this.dirOf("cpuacct");
    const pidsDir = this.dirOf("pids");
    const blkio = this.blkioBytes(read);
    return {
      cpuUsageNanos: cpuacct ? (readNumber(`${cpuacct}/cpuacct.usage`, read) ?? 0) : 0,
      // Page cache the kernel can drop is not "used": docker subtracts total_inactive_file.
      memoryUsage: Math.max(0, usage - (keyedValue(memStat, "total_inactive_file") ?? 0)),
      memoryLimit: Math.min(limit, hostMemory()),
      pids: pidsDir ? (readNumber(`${pidsDir}/pids.current`, read) ?? 0) : this.pids().length,
      blkioReadBytes: blkio.read,
      blkioWriteBytes: blkio.write,
    };
  }

  cpuDetail(): CpuDetail {
    const cpuacct = this.dirOf("cpuacct");
    const cpu = this.dirOf("cpu");
    const perCpu = cpuacct ? readOptional(join(cpuacct, "cpuacct.usage_percpu")) : undefined;
    const times = cpuacct ? readKeyed(join(cpuacct, "cpuacct.stat")) : new Map<string, number>();
    const throttling = cpu ? readKeyed(join(cpu, "cpu.stat")) : new Map<string, number>();
    return {
      ...(perCpu ? { perCpuNanos: perCpu.split(" ").filter(Boolean).map(Number) } : {}),
      // cpuacct.stat counts USER_HZ ticks, 100 a second on Linux.
      userNanos: (times.get("user") ?? 0) * NANOS_PER_TICK,
      kernelNanos: (times.get("system") ?? 0) * NANOS_PER_TICK,
      periods: throttling.get("nr_periods") ?? 0,
      throttledPeriods: throttling.get("nr_throttled") ?? 0,
      throttledNanos: throttling.get("throttled_time") ?? 0,
    };
  }

  oomKills(): number {
    const memDir = this.dirOf("memory");
    return memDir ? (readKeyed(join(memDir, "memory.oom_control")).get("oom_kill") ?? 0) : 0;
  }

  private blkioBytes(read: FileReader): { read: number; write: number } {
    const dir = this.dirOf("blkio");
    const text = dir ? (read(`${dir}/blkio.throttle.io_service_bytes_recursive`) ?? read(`${dir}/blkio.throttle.io_service_bytes`) ?? "") : "";
    return { read: blkioSum(text, "Read"), write: blkioSum(text, "Write") };
  }

  pids(): number[] {
    return [...new Set(this.directories().flatMap(treePids))].sort((a, b) => a - b);
  }

  private freezerState(): string {
    return join(this.needFreezer(), "freezer.state");
  }

  private needFreezer(): string {
    const dir = this.dirOf("freezer");
    if (!dir) throw new MydockerError("cgroup_controller", "the freezer cgroup controller is not mounted");
    return dir;
  }

  async freeze(): Promise<void> {
    const state = this.freezerState();
    writeValue(state, "FROZEN");
    try {
      // A freeze can stall in FREEZING when a task was busy; writing FROZEN again retries it.
      await waitUntil(() => {
        if (readOptional(state) === "FROZEN") return true;
        writeValue(state, "FROZEN");
        return false;
      }, `cgroup ${this.path} to freeze`);
    } catch (e) {
      this.thaw();
      throw e;
    }
  }

  thaw(): void {
    writeValue(this.freezerState(), "THAWED");
  }

  freezerFiles(): string[] {
    const dir = this.dirOf("freezer");
    return dir === undefined ? [] : [`${dir}/freezer.state`];
  }

  isFrozen(read: FileReader = readOptional): boolean {
    const dir = this.dirOf("freezer");
    return dir !== undefined && read(`${dir}/freezer.state`)?.trim() === "FROZEN";
  }

  async killAll(): Promise<void> {
    await killByPids(() => this.pids(), this.dirOf("freezer") ? this : undefined);
  }

  async destroy(): Promise<void> {
    if (this.directories().every(removeIfEmpty)) return;
    await this.killAll();
    for (const dir of this.directories()) await removeCgroupTree(dir);
  }
}

/**
 * A new cpuset starts with no CPUs and no memory nodes, and nothing can join it until it
 * has some: every level inherits its parent's, also one that a concurrent command made a
 * moment ago and may not have filled yet.
 */
function inheritCpusets(mount: string, path: string, freshLeaf: boolean): void {
  const levels = path.split("/");
  for (const file of ["cpuset.cpus", "cpuset.mems"]) {
    let dir = mount;
    let inherited = readOptional(join(dir, file));
    levels.forEach((part, i) => {
      dir = join(dir, part);
      // A leaf this command just made has none yet: no need to read it.
      const own = freshLeaf && i === levels.length - 1 ? "" : readOptional(join(dir, file));
      if (own === "") writeValue(join(dir, file), inherited ?? "");
      else if (own !== undefined) inherited = own;
    });
  }
}

/** The bytes of one operation summed over the devices of a blkio file ("8:0 Read 4096" lines), without splitting the rest. */
function blkioSum(text: string, op: string): number {
  const needle = ` ${op} `;
  let sum = 0;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) {
    const end = text.indexOf("\n", at);
    sum += Number(text.slice(at + needle.length, end < 0 ? undefined : end));
  }
  return sum;
}
