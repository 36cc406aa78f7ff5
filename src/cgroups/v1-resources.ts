// Writes linux.resources into the files of the v1 hierarchies (the kernel's names and units).
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { DeviceCgroupRule, LinuxBlockIO, LinuxCPU, LinuxMemory, LinuxResources } from "../spec/runtime.js";
import { MydockerError } from "../util/errors.js";
import { readNumber, writeEach, writeValue } from "./fs.js";

/** The cgroup's directory in the hierarchy of a subsystem, undefined when not mounted. */
type DirOf = (subsystem: string) => string | undefined;

function need(dirOf: DirOf, subsystem: string, field = subsystem): string {
  const dir = dirOf(subsystem);
  if (!dir) throw new MydockerError("cgroup_controller", `linux.resources.${field}: the ${subsystem} cgroup controller is not mounted`);
  return dir;
}

function writeIfPresent(file: string, value: string | number): void {
  if (existsSync(file)) writeValue(file, value);
}

function applyMemory(dir: string, m: LinuxMemory): void {
  const limitFile = join(dir, "memory.limit_in_bytes");
  const memswFile = join(dir, "memory.memsw.limit_in_bytes");
  const hasMemsw = existsSync(memswFile);
  const limit = m.limit || undefined;
  // memsw is memory+swap and must never be below the memory limit: an unlimited memory
  // needs an unlimited memsw, and the order of the two writes depends on the direction.
  let swap = hasMemsw ? m.swap || undefined : undefined;
  if (hasMemsw && swap === undefined && limit === -1) swap = -1;
  if (limit !== undefined && swap !== undefined) {
    const current = readNumber(memswFile) ?? Infinity;
    const raising = swap === -1 || swap > current;
    if (raising) writeValue(memswFile, swap);
    writeValue(limitFile, limit);
    if (!raising) writeValue(memswFile, swap);
  } else if (limit !== undefined) {
    writeValue(limitFile, limit);
  } else if (swap !== undefined) {
    writeValue(memswFile, swap);
  }
  if (m.reservation) writeValue(join(dir, "memory.soft_limit_in_bytes"), m.reservation);
  if (m.swappiness !== undefined) writeValue(join(dir, "memory.swappiness"), m.swappiness);
  if (m.disableOOMKiller !== undefined) writeValue(join(dir, "memory.oom_control"), m.disableOOMKiller ? 1 : 0);
}

function applyCpu(dirOf: DirOf, c: LinuxCPU): void {
  if (c.shares || c.quota || c.period || c.realtimePeriod || c.realtimeRuntime || c.idle !== undefined) {
    const dir = need(dirOf, "cpu");
    if (c.shares) writeValue(join(dir, "cpu.shares"), c.shares);
    if (c.period) {
      // A new period can be refused while the old quota stands against it; then quota goes first.
      try {
        writeValue(join(dir, "cpu.cfs_period_us"), c.period);
      } catch {
        if (c.quota) writeValue(join(dir, "cpu.cfs_quota_us"), c.quota);
        writeValue(join(dir, "cpu.cfs_period_us"), c.period);
      }
    }
    if (c.quota) writeValue(join(dir, "cpu.cfs_quota_us"), c.quota);
    if (c.realtimePeriod) writeValue(join(dir, "cpu.rt_period_us"), c.realtimePeriod);
    if (c.realtimeRuntime) writeValue(join(dir, "cpu.rt_runtime_us"), c.realtimeRuntime);
    if (c.idle !== undefined) writeValue(join(dir, "cpu.idle"), c.idle);
  }
  if (c.cpus) writeValue(join(need(dirOf, "cpuset", "cpu.cpus"), "cpuset.cpus"), c.cpus);
  if (c.mems) writeValue(join(need(dirOf, "cpuset", "cpu.mems"), "cpuset.mems"), c.mems);
}

function applyBlockIO(dir: string, b: LinuxBlockIO): void {
  // The weight files exist only with an I/O scheduler that has weights (BFQ); docker
  // discards the weight when the kernel lacks them, and so do we.
  if (b.weight) writeIfPresent(join(dir, existsSync(join(dir, "blkio.weight")) ? "blkio.weight" : "blkio.bfq.weight"), b.weight);
  if (b.leafWeight) writeIfPresent(join(dir, "blkio.leaf_weight"), b.leafWeight);
  for (const d of b.weightDevice ?? []) {
    if (d.weight) writeIfPresent(join(dir, "blkio.weight_device"), `${d.major}:${d.minor} ${d.weight}`);
    if (d.leafWeight) writeIfPresent(join(dir, "blkio.leaf_weight_device"), `${d.major}:${d.minor} ${d.leafWeight}`);
  }
  const throttles = [
    ["blkio.throttle.read_bps_device", b.throttleReadBpsDevice],
    ["blkio.throttle.write_bps_device", b.throttleWriteBpsDevice],
    ["blkio.throttle.read_iops_device", b.throttleReadIOPSDevice],
    ["blkio.throttle.write_iops_device", b.throttleWriteIOPSDevice],
  ] as const;
  for (const [file, devices] of throttles) {
    for (const d of devices ?? []) writeValue(join(dir, file), `${d.major}:${d.minor} ${d.rate}`);
  }
}

/** "c 1:3 rwm"; an absent type/major/minor means all ("a", "*"). */
function deviceRuleText(rule: DeviceCgroupRule): string {
  const num = (n: number | null | undefined): string => (n === undefined || n === null || n < 0 ? "*" : String(n));
  return `${rule.type ?? "a"} ${num(rule.major)}:${num(rule.minor)} ${rule.access || "rwm"}`;
}

export function applyV1Resources(dirOf: DirOf, r: LinuxResources): void {
  if (r.memory) applyMemory(need(dirOf, "memory"), r.memory);
  if (r.cpu) applyCpu(dirOf, r.cpu);
  if (r.pids) writeValue(join(need(dirOf, "pids"), "pids.max"), r.pids.limit > 0 ? r.pids.limit : "max");
  if (r.blockIO) applyBlockIO(need(dirOf, "blkio", "blockIO"), r.blockIO);
  if (r.hugepageLimits?.length) {
    const dir = need(dirOf, "hugetlb", "hugepageLimits");
    for (const h of r.hugepageLimits) writeValue(join(dir, `hugetlb.${h.pageSize}.limit_in_bytes`), h.limit);
  }
  if (r.devices) {
    const dir = need(dirOf, "devices");
    writeEach(r.devices.map((rule) => ({ file: join(dir, rule.allow ? "devices.allow" : "devices.deny"), value: deviceRuleText(rule) })));
  }
}
