// Writes linux.resources into the files of a cgroup v2 directory, converting the OCI
// (v1-shaped) values the way runc and crun do.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { LinuxBlockIO, LinuxCPU, LinuxMemory, LinuxResources } from "../spec/runtime.js";
import { MydockerError } from "../util/errors.js";
import { readOptional, writeValue } from "./fs.js";

/** Docker's (and runc's) mapping of cpu.shares [2, 262144] onto cpu.weight [1, 10000]. */
export function sharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** blkio.weight [10, 1000] onto io.weight [1, 10000]. */
export function blkioWeightToIoWeight(weight: number): number {
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

const max = (n: number): string => (n < 0 ? "max" : String(n));

class V2Writer {
  private readonly controllers: Set<string>;

  constructor(private readonly dir: string) {
    this.controllers = new Set((readOptional(join(dir, "cgroup.controllers")) ?? "").split(" ").filter(Boolean));
  }

  /** The file of an enabled controller; a clear error instead of ENOENT otherwise. */
  file(controller: string, name: string, field?: string): string {
    if (!this.controllers.has(controller)) {
      throw new MydockerError(
        "cgroup_controller",
        `${field ? `linux.resources.${field}: ` : ""}the ${controller} controller is not enabled for cgroup ${this.dir} (it has: ${[...this.controllers].join(" ") || "none"})`,
      );
    }
    return join(this.dir, name);
  }

  memory(m: LinuxMemory): void {
    if (m.limit) writeValue(this.file("memory", "memory.max"), max(m.limit));
    // OCI's swap is memory+swap (v1); v2 limits the swap alone. The file is missing
    // without swap accounting, where docker drops the setting too.
    if (m.swap && existsSync(join(this.dir, "memory.swap.max"))) {
      writeValue(this.file("memory", "memory.swap.max"), m.swap < 0 ? "max" : m.swap - (m.limit ?? 0));
    }
    if (m.reservation) writeValue(this.file("memory", "memory.low"), max(m.reservation));
  }

  cpu(c: LinuxCPU): void {
    if (c.shares) writeValue(this.file("cpu", "cpu.weight"), sharesToWeight(c.shares));
    if (c.quota || c.period) {
      const quota = c.quota && c.quota > 0 ? String(c.quota) : "max";
      writeValue(this.file("cpu", "cpu.max"), c.period ? `${quota} ${c.period}` : quota);
    }
    if (c.idle !== undefined) writeValue(this.file("cpu", "cpu.idle"), c.idle);
    if (c.cpus) writeValue(this.file("cpuset", "cpuset.cpus"), c.cpus);
    if (c.mems) writeValue(this.file("cpuset", "cpuset.mems"), c.mems);
  }

  io(b: LinuxBlockIO): void {
    if (b.weight) {
      // With BFQ the weight keeps blkio's range; io.weight (other schedulers) has its own.
      if (existsSync(join(this.dir, "io.bfq.weight"))) writeValue(this.file("io", "io.bfq.weight"), b.weight);
      else writeValue(this.file("io", "io.weight"), `default ${blkioWeightToIoWeight(b.weight)}`);
    }
    for (const d of b.weightDevice ?? []) {
      if (d.weight) writeValue(this.file("io", "io.weight"), `${d.major}:${d.minor} ${blkioWeightToIoWeight(d.weight)}`);
    }
    const throttles = [
      ["rbps", b.throttleReadBpsDevice],
      ["wbps", b.throttleWriteBpsDevice],
      ["riops", b.throttleReadIOPSDevice],
      ["wiops", b.throttleWriteIOPSDevice],
    ] as const;
    for (const [key, devices] of throttles) {
      for (const d of devices ?? []) writeValue(this.file("io", "io.max"), `${d.major}:${d.minor} ${key}=${d.rate}`);
    }
  }

  unified(values: Record<string, string>): void {
    for (const [key, value] of Object.entries(values)) {
      const controller = key.split(".")[0] as string;
      writeValue(controller === "cgroup" ? join(this.dir, key) : this.file(controller, key), value);
    }
  }
}

/**
 * Device rules are not written: v2 enforces them with an eBPF program attached to the
 * cgroup, which cgroupfs cannot do (the mount namespace's /dev stays the first barrier).
 * memory.swappiness and disableOOMKiller have no v2 file and are ignored, as runc does.
 */
export function applyV2Resources(dir: string, r: LinuxResources): void {
  const w = new V2Writer(dir);
  if (r.memory) w.memory(r.memory);
  if (r.cpu) w.cpu(r.cpu);
  if (r.pids) writeValue(w.file("pids", "pids.max"), r.pids.limit > 0 ? r.pids.limit : "max");
  if (r.blockIO) w.io(r.blockIO);
  for (const h of r.hugepageLimits ?? []) writeValue(w.file("hugetlb", `hugetlb.${h.pageSize}.max`, "hugepageLimits"), h.limit);
  if (r.unified) w.unified(r.unified);
}
