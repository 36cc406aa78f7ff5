// The cgroup v2 driver (cgroupfs on the unified hierarchy).
import { existsSync, mkdirSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import type { LinuxResources } from "../spec/runtime.js";
import { isErrno, MydockerError } from "../util/errors.js";
import { childDirs, hostMemory, isDir, keyedValue, normalizeCgroupPath, readKeyed, readNumber, readOptional, removeIfEmpty, removeCgroupTree, treePids, waitUntil, writeValue } from "./fs.js";
import type { FileReader } from "../util/prefetched-files.js";
import { killByPids } from "./lifecycle.js";
import type { Cgroup, CgroupDriver, CgroupHierarchy, CgroupStats, CgroupUsage, CpuDetail } from "./types.js";
import { applyV2Resources } from "./v2-resources.js";
import { validateResources } from "./validate.js";

/** Controllers a container's cgroup gets, where the parent has them. */
const WANTED_CONTROLLERS = ["cpuset", "cpu", "io", "memory", "pids"];

export interface V2Options {
  /** Mount point of the unified hierarchy, e.g. "/sys/fs/cgroup" (a fake tree in tests). */
  root: string;
  /** The kernel has CLONE_INTO_CGROUP: a child is born in its cgroup rather than moved there. */
  cloneInto?: boolean;
}

function words(file: string): string[] {
  return (readOptional(file) ?? "").split(/\s+/).filter(Boolean);
}

/** Lets the children of dir use every wanted controller dir itself has. */
function enableControllers(dir: string): void {
  const enabled = new Set(words(join(dir, "cgroup.subtree_control")));
  const missing = words(join(dir, "cgroup.controllers")).filter((c) => WANTED_CONTROLLERS.includes(c) && !enabled.has(c));
  if (missing.length > 0) writeValue(join(dir, "cgroup.subtree_control"), missing.map((c) => `+${c}`).join(" "));
}

export class V2Driver implements CgroupDriver {
  readonly version = 2 as const;
  private readonly root: string;
  private readonly cloneIntoCgroup: boolean;

  constructor(options: V2Options) {
    this.root = options.root;
    this.cloneIntoCgroup = options.cloneInto ?? false;
  }

  create(path: string, resources?: LinuxResources): Cgroup {
    if (resources) validateResources(resources, 2);
    const rel = normalizeCgroupPath(path);
    let dir = this.root;
    let made: string | undefined;
    for (const part of rel.split("/")) {
      enableControllers(dir);
      dir = join(dir, part);
      try {
        mkdirSync(dir);
        made = dir;
      } catch (e) {
        if (!isErrno(e, "EEXIST")) throw new MydockerError("cgroup_create", `cannot create cgroup ${dir}: ${(e as Error).message}`);
        made = undefined;
      }
    }
    const cgroup = new V2Cgroup(dir, rel, this.cloneIntoCgroup);
    try {
      if (resources) cgroup.setResources(resources);
    } catch (e) {
      if (made) rmdirSync(made);
      throw e;
    }
    return cgroup;
  }

  open(path: string): Cgroup | undefined {
    const cgroup = this.at(path);
    return isDir(join(this.root, cgroup.path)) ? cgroup : undefined;
  }

  at(path: string): Cgroup {
    const rel = normalizeCgroupPath(path);
    return new V2Cgroup(join(this.root, rel), rel, this.cloneIntoCgroup);
  }

  children(parent: string): string[] {
    const rel = normalizeCgroupPath(parent);
    return childDirs(join(this.root, rel))
      .sort()
      .map((n) => `${rel}/${n}`);
  }
}

class V2Cgroup implements Cgroup {
  constructor(
    private readonly dir: string,
    readonly path: string,
    private readonly cloneIntoCgroup: boolean,
  ) {}

  private file(name: string): string {
    return join(this.dir, name);
  }

  procsFiles(): string[] {
    return [this.file("cgroup.procs")];
  }

  addProcess(pid: number): void {
    writeValue(this.file("cgroup.procs"), pid);
  }

  /** "0" in cgroup.procs moves the writer's whole process: the container's init, single-threaded then. */
  selfJoinFiles(): string[] {
    return this.cloneIntoCgroup ? [] : [this.file("cgroup.procs")];
  }

  cloneInto(): string | undefined {
    return this.cloneIntoCgroup ? this.dir : undefined;
  }

  hierarchies(): CgroupHierarchy[] {
    return [{ dir: "", fstype: "cgroup2", data: "", own: this.dir }];
  }

  setResources(resources: LinuxResources): void {
    validateResources(resources, 2);
    applyV2Resources(this.dir, resources);
  }

  oomKills(): number {
    return readKeyed(this.file("memory.events")).get("oom_kill") ?? 0;
  }

  stats(): CgroupStats {
    return { ...this.usage(), oomKills: this.oomKills() };
  }

  usageFiles(): string[] {
    return ["memory.stat", "memory.current", "io.stat", "cpu.stat", "memory.max", "pids.current"].map((f) => this.file(f));
  }

  usage(read: FileReader = readOptional): CgroupUsage {
    const memStat = read(this.file("memory.stat")) ?? "";
    const usage = readNumber(this.file("memory.current"), read) ?? 0;
    let readBytes = 0;
    let writeBytes = 0;
    for (const line of (read(this.file("io.stat")) ?? "").split("\n")) {
      for (const field of line.split(" ").slice(1)) {
        const [key, value] = field.split("="); // "8:0 rbytes=4096 wbytes=0 rios=1 ..."
        if (key === "rbytes") readBytes += Number(value);
        if (key === "wbytes") writeBytes += Number(value);
      }
    }
    return {
      cpuUsageNanos: (keyedValue(read(this.file("cpu.stat")) ?? "", "usage_usec") ?? 0) * 1000,
      // Page cache the kernel can drop is not "used": docker subtracts inactive_file.
      memoryUsage: Math.max(0, usage - (keyedValue(memStat, "inactive_file") ?? 0)),
      memoryLimit: Math.min(readNumber(this.file("memory.max"), read) ?? Infinity, hostMemory()),
      pids: readNumber(this.file("pids.current"), read) ?? this.pids().length,
      blkioReadBytes: readBytes,
      blkioWriteBytes: writeBytes,
    };
  }

  cpuDetail(): CpuDetail {
    const stat = readKeyed(this.file("cpu.stat"));
    const usec = (key: string) => (stat.get(key) ?? 0) * 1000;
    return { userNanos: usec("user_usec"), kernelNanos: usec("system_usec"), periods: stat.get("nr_periods") ?? 0, throttledPeriods: stat.get("nr_throttled") ?? 0, throttledNanos: usec("throttled_usec") };
  }

  pids(): number[] {
    return treePids(this.dir).sort((a, b) => a - b);
  }

  async freeze(): Promise<void> {
    writeValue(this.file("cgroup.freeze"), 1);
    try {
      await waitUntil(() => this.isFrozen(), `cgroup ${this.path} to freeze`);
    } catch (e) {
      this.thaw();
      throw e;
    }
  }

  thaw(): void {
    writeValue(this.file("cgroup.freeze"), 0);
  }

  freezerFiles(): string[] {
    return [this.file("cgroup.events")];
  }

  isFrozen(read: FileReader = readOptional): boolean {
    return keyedValue(read(this.file("cgroup.events"))?.trim() ?? "", "frozen") === 1;
  }

  async killAll(): Promise<void> {
    if (this.pids().length === 0) return;
    // cgroup.kill (Linux 5.14) kills the whole subtree at once, racing no fork.
    if (existsSync(this.file("cgroup.kill"))) {
      writeValue(this.file("cgroup.kill"), 1);
      await waitUntil(() => this.pids().length === 0, `the processes of cgroup ${this.path} to exit`);
    } else {
      await killByPids(() => this.pids(), this);
    }
  }

  directories(): string[] {
    return [this.dir];
  }

  async destroy(): Promise<void> {
    if (removeIfEmpty(this.dir)) return;
    await this.killAll();
    await removeCgroupTree(this.dir);
  }
}
