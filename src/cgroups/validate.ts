// Checks of linux.resources values that hold whatever produced the spec (our engine,
// containerd, a hand-written config.json), made before any cgroup is created.
import type { LinuxResources } from "../spec/runtime.js";
import { MydockerError } from "../util/errors.js";
import { parseCpuList } from "./cpulist.js";

function refuse(message: string): never {
  throw new MydockerError("invalid_resources", `invalid linux.resources: ${message}`);
}

function checkInteger(name: string, value: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    refuse(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

export function validateResources(r: LinuxResources, version: 1 | 2): void {
  const { memory, cpu, pids, blockIO } = r;
  checkInteger("memory.limit", memory?.limit, -1);
  checkInteger("memory.reservation", memory?.reservation, -1);
  checkInteger("memory.swap", memory?.swap, -1);
  checkInteger("memory.swappiness", memory?.swappiness, 0, 100);
  if (memory?.limit !== undefined && memory.limit > 0 && memory.swap !== undefined && memory.swap > 0) {
    if (memory.swap < memory.limit) refuse("memory.swap (memory plus swap) is smaller than memory.limit");
  }
  if (version === 2 && memory?.swap !== undefined && memory.swap > 0 && !(memory.limit !== undefined && memory.limit > 0)) {
    refuse("memory.swap needs memory.limit on cgroup v2");
  }
  checkInteger("cpu.shares", cpu?.shares, 0);
  checkInteger("cpu.quota", cpu?.quota, -1);
  if (cpu?.period !== undefined && cpu.period !== 0) checkInteger("cpu.period", cpu.period, 1000, 1000000);
  if (cpu?.quota !== undefined && cpu.quota > 0 && cpu.quota < 1000) refuse("cpu.quota must be at least 1000 (1ms)");
  for (const [name, list] of [["cpu.cpus", cpu?.cpus], ["cpu.mems", cpu?.mems]] as const) {
    if (list !== undefined && list !== "" && parseCpuList(list) === undefined) refuse(`${name} "${list}" is not a list like 0-2,4`);
  }
  checkInteger("pids.limit", pids?.limit, Number.MIN_SAFE_INTEGER);
  for (const [name, w] of [["blockIO.weight", blockIO?.weight], ["blockIO.leafWeight", blockIO?.leafWeight]] as const) {
    if (w !== undefined && w !== 0) checkInteger(name, w, 10, 1000);
  }
  if (version === 1 && r.unified && Object.keys(r.unified).length > 0) refuse("unified needs cgroup v2");
  if (version === 2 && (cpu?.realtimeRuntime !== undefined || cpu?.realtimePeriod !== undefined)) {
    refuse("cpu.realtimeRuntime/realtimePeriod are not available on cgroup v2");
  }
  for (const key of Object.keys(r.unified ?? {})) {
    if (key.includes("/") || key.startsWith(".") || !key.includes(".")) refuse(`unified key "${key}" is not a cgroup file name`);
  }
}
