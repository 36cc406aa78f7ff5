// docker run/create/update resource flags -> OCI linux.resources, with docker's units,
// defaults and error messages. The spec is the single source of truth: the runtime hands
// these values to the cgroup driver unchanged.
import { readFileSync } from "node:fs";
import { cpus as osCpus } from "node:os";
import { parseCpuList } from "../cgroups/index.js";
import type { LinuxCPU, LinuxMemory, LinuxResources } from "../spec/runtime.js";
import { FlagError } from "../util/errors.js";

type FlagValue = string | number | undefined;
type ValueFlag = Exclude<keyof ResourceFlags, "oomKillDisable">;

export interface ResourceFlags {
  memory?: FlagValue; // -m, --memory
  memorySwap?: FlagValue; // --memory-swap (memory + swap; -1 = unlimited swap)
  memoryReservation?: FlagValue;
  cpus?: FlagValue;
  cpuShares?: FlagValue;
  cpuPeriod?: FlagValue;
  cpuQuota?: FlagValue;
  cpusetCpus?: FlagValue;
  cpusetMems?: FlagValue;
  pidsLimit?: FlagValue;
  blkioWeight?: FlagValue;
  oomScoreAdj?: FlagValue;
  memorySwappiness?: FlagValue;
  /** --oom-kill-disable (run and create only). */
  oomKillDisable?: boolean;
}

/** What the host offers, which some limits are checked against. */
export interface HostInfo {
  cpuCount: number;
  onlineCpus: string;
  onlineMems: string;
}

export interface ResourceFlagOptions {
  /** docker update: no memory-swap default, swap allowed without memory. */
  update?: boolean;
  host?: HostInfo;
}

const FLAG_NAMES: Record<ValueFlag, string> = {
  memory: "-m, --memory",
  memorySwap: "--memory-swap",
  memoryReservation: "--memory-reservation",
  cpus: "--cpus",
  cpuShares: "--cpu-shares",
  cpuPeriod: "--cpu-period",
  cpuQuota: "--cpu-quota",
  cpusetCpus: "--cpuset-cpus",
  cpusetMems: "--cpuset-mems",
  pidsLimit: "--pids-limit",
  blkioWeight: "--blkio-weight",
  oomScoreAdj: "--oom-score-adj",
  memorySwappiness: "--memory-swappiness",
};

const MIN_MEMORY = 6 * 1024 * 1024;
const MIN_SHARES = 2;
const MAX_SHARES = 262144;
const CPU_PERIOD = 100000;

function fail(message: string): never {
  throw new FlagError("invalid_argument", message);
}

function badFlag(flag: ValueFlag, value: FlagValue, why: string): never {
  fail(`invalid argument "${value}" for "${FLAG_NAMES[flag]}" flag: ${why}`);
}

function readSys(file: string, fallback: string): string {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    return fallback;
  }
}

export function hostInfo(): HostInfo {
  const count = osCpus().length;
  return {
    cpuCount: count,
    onlineCpus: readSys("/sys/devices/system/cpu/online", `0-${count - 1}`),
    onlineMems: readSys("/sys/devices/system/node/online", "0"),
  };
}

const given = (v: FlagValue): v is string | number => v !== undefined && v !== "";

const UNITS: Record<string, number> = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/** docker's RAMInBytes: "32m", "1g", "512k", "100", "1.5GiB" (binary units). */
export function parseBytes(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(text.trim());
  if (!m) return undefined;
  return Math.trunc(Number(m[1]) * (UNITS[(m[2] ?? "").toLowerCase()] as number));
}

function bytesFlag(flags: ResourceFlags, flag: ValueFlag): number | undefined {
  const v = flags[flag];
  if (!given(v)) return undefined;
  if (typeof v === "number") return v;
  if (flag === "memorySwap" && v.trim() === "-1") return -1;
  return parseBytes(v) ?? badFlag(flag, v, `invalid size: '${v}'`);
}

function intFlag(flags: ResourceFlags, flag: ValueFlag): number | undefined {
  const v = flags[flag];
  if (!given(v)) return undefined;
  const n = typeof v === "number" ? v : /^[-+]?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) badFlag(flag, v, `strconv.ParseInt: parsing "${v}": invalid syntax`);
  return n;
}

/** --cpus as nano-CPUs; docker refuses more than nine decimals. */
function nanoCpus(v: FlagValue): number | undefined {
  if (!given(v)) return undefined;
  const m = /^(\d*)(?:\.(\d*))?$/.exec(String(v).trim());
  if (!m || (m[1] === "" && (m[2] ?? "") === "")) badFlag("cpus", v, `failed to parse ${v} as a rational number`);
  if ((m[2] ?? "").length > 9) badFlag("cpus", v, "value is too precise");
  return Number(m[1] || "0") * 1e9 + Number((m[2] ?? "").padEnd(9, "0"));
}

function cpuset(value: FlagValue, kind: "cpus" | "mems", hostOnline: () => string): string | undefined {
  if (!given(value)) return undefined;
  const online = hostOnline();
  const text = String(value);
  const wanted = parseCpuList(text);
  if (!wanted) fail(`Invalid value ${text} for cpuset ${kind}`);
  const available = new Set(parseCpuList(online) ?? []);
  if (!wanted.every((n) => available.has(n))) {
    fail(kind === "cpus"
      ? `Requested CPUs are not available - requested ${text}, available: ${online}`
      : `Requested memory nodes are not available - requested ${text}, available: ${online}`);
  }
  return text;
}

function memoryFrom(flags: ResourceFlags, update: boolean): LinuxMemory | undefined {
  const limit = bytesFlag(flags, "memory");
  let swap = bytesFlag(flags, "memorySwap");
  const reservation = bytesFlag(flags, "memoryReservation");
  if (limit !== undefined && limit !== 0 && limit < MIN_MEMORY) fail("Minimum memory limit allowed is 6MB");
  if (limit && limit > 0 && swap && swap > 0 && swap < limit) {
    fail("Minimum memoryswap limit should be larger than memory limit, see usage");
  }
  if (!update && !limit && swap && swap > 0) fail("You should always set the Memory limit when using Memoryswap limit, see usage");
  if (limit && limit > 0 && reservation && reservation > limit) {
    fail("Minimum memory limit can not be less than memory reservation limit, see usage");
  }
  if (reservation && reservation < MIN_MEMORY) fail("Minimum memory reservation allowed is 6MB");
  // docker's default: as much swap as memory (memory+swap = twice the memory).
  if (!update && limit && limit > 0 && !swap) swap = limit * 2;
  const swappiness = intFlag(flags, "memorySwappiness");
  // -1: the host's (docker's "unset").
  if (swappiness !== undefined && swappiness !== -1 && (swappiness < 0 || swappiness > 100)) {
    fail(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
  }
  const memory: LinuxMemory = {};
  if (swappiness !== undefined && swappiness !== -1) memory.swappiness = swappiness;
  if (flags.oomKillDisable) memory.disableOOMKiller = true;
  if (limit) memory.limit = limit;
  if (swap) memory.swap = swap;
  if (reservation) memory.reservation = reservation;
  return Object.keys(memory).length > 0 ? memory : undefined;
}

/** host: asked only when a flag needs it (it reads /proc/cpuinfo and sysfs). */
function cpuFrom(flags: ResourceFlags, host: () => HostInfo): LinuxCPU | undefined {
  const nano = nanoCpus(flags.cpus);
  const shares = intFlag(flags, "cpuShares");
  const period = intFlag(flags, "cpuPeriod");
  const quota = intFlag(flags, "cpuQuota");
  if (nano && period) fail("Conflicting options: Nano CPUs and CPU Period cannot both be set");
  if (nano && quota) fail("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  if (nano !== undefined && (nano < 0 || nano > host().cpuCount * 1e9)) {
    fail(`Range of CPUs is from 0.01 to ${host().cpuCount}.00, as there are only ${host().cpuCount} CPUs available`);
  }
  if (period && (period < 1000 || period > 1000000)) {
    fail("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
  }
  if (quota && quota > 0 && quota < 1000) fail("CPU cfs quota can not be less than 1ms (i.e. 1000)");
  const cpu: LinuxCPU = {};
  // docker adapts out-of-range shares to the kernel's bounds instead of refusing them.
  if (shares) cpu.shares = Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
  if (nano) {
    cpu.period = CPU_PERIOD;
    cpu.quota = Math.round((nano * CPU_PERIOD) / 1e9);
  }
  if (period) cpu.period = period;
  if (quota) cpu.quota = quota;
  const cpus = cpuset(flags.cpusetCpus, "cpus", () => host().onlineCpus);
  const mems = cpuset(flags.cpusetMems, "mems", () => host().onlineMems);
  if (cpus) cpu.cpus = cpus;
  if (mems) cpu.mems = mems;
  return Object.keys(cpu).length > 0 ? cpu : undefined;
}

export function resourcesFromFlags(flags: ResourceFlags, options: ResourceFlagOptions = {}): LinuxResources {
  const resources: LinuxResources = {};
  const memory = memoryFrom(flags, options.update ?? false);
  let host = options.host;
  const cpu = cpuFrom(flags, () => (host ??= hostInfo()));
  const pids = intFlag(flags, "pidsLimit");
  const blkio = intFlag(flags, "blkioWeight");
  if (blkio && (blkio < 10 || blkio > 1000)) fail("Range of blkio weight is from 10 to 1000");
  if (memory) resources.memory = memory;
  if (cpu) resources.cpu = cpu;
  // docker: zero or a negative limit means unlimited.
  if (pids !== undefined) resources.pids = { limit: pids > 0 ? pids : -1 };
  if (blkio) resources.blockIO = { weight: blkio };
  return resources;
}

export function oomScoreAdjFromFlags(flags: ResourceFlags): number | undefined {
  const adj = intFlag(flags, "oomScoreAdj");
  if (adj !== undefined && (adj < -1000 || adj > 1000)) fail(`Invalid value ${adj}, range for oom score adj is [-1000, 1000]`);
  return adj;
}

/** docker update: the new values over the container's current ones, checked together. */
export function mergeResources(old: LinuxResources, update: LinuxResources): LinuxResources {
  const merged: LinuxResources = { ...old };
  if (update.memory) merged.memory = { ...old.memory, ...update.memory };
  if (update.cpu) merged.cpu = { ...old.cpu, ...update.cpu };
  if (update.pids) merged.pids = update.pids;
  if (update.blockIO) merged.blockIO = { ...old.blockIO, ...update.blockIO };
  const m = merged.memory;
  if (m?.limit && m.limit > 0 && m.swap && m.swap > 0 && m.swap < m.limit) {
    fail(update.memory?.swap === undefined
      ? "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time"
      : "Minimum memoryswap limit should be larger than memory limit, see usage");
  }
  if (m?.limit && m.limit > 0 && m.reservation && m.reservation > m.limit) {
    fail("Minimum memory limit can not be less than memory reservation limit, see usage");
  }
  return merged;
}
