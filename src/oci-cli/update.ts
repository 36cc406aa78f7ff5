// update: new linux.resources for a container's cgroup, from --resources and runc's flags.
import type { Command } from "commander";
import fs from "node:fs";
import type { LinuxResources } from "../spec/runtime.js";
import { JsonReader, readResources } from "../runtime/index.js";
import { MydockerError } from "../util/errors.js";
import type { OciContext } from "./context.js";
import { notRunning } from "./bundle.js";
import { stateOf } from "./state.js";

interface UpdateFlags {
  resources?: string;
  memory?: string;
  memorySwap?: string;
  memoryReservation?: string;
  cpuShares?: string;
  cpuQuota?: string;
  cpuPeriod?: string;
  cpuRtPeriod?: string;
  cpuRtRuntime?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  pidsLimit?: string;
  blkioWeight?: string;
}

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** runc's sizes: bytes, or a number with k, m, g or t (powers of 1024); -1 is "unlimited". */
function bytes(flag: string, text: string): number {
  if (text === "-1") return -1;
  const m = /^(\d+)([bkmgt]?)b?$/i.exec(text.trim());
  if (!m) throw new MydockerError("invalid-flag", `invalid ${flag} "${text}": a size such as 512m`);
  return Number(m[1]) * (UNITS[(m[2] ?? "").toLowerCase()] ?? 1);
}

function int(flag: string, text: string): number {
  if (!/^-?\d+$/.test(text)) throw new MydockerError("invalid-flag", `invalid ${flag} "${text}": an integer`);
  return Number(text);
}

function readInput(file: string): unknown {
  const text = fs.readFileSync(file === "-" ? 0 : file, "utf8");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new MydockerError("invalid-flag", `--resources: not JSON: ${(e as Error).message}`);
  }
}

/** The resources asked for: the file's, with the flags over them (as runc). */
function resourcesOf(f: UpdateFlags): LinuxResources {
  const r: LinuxResources = f.resources ? readResources(new JsonReader("--resources"), readInput(f.resources), "") : {};
  const memory = { ...r.memory };
  if (f.memory) memory.limit = bytes("--memory", f.memory);
  if (f.memorySwap) memory.swap = bytes("--memory-swap", f.memorySwap);
  if (f.memoryReservation) memory.reservation = bytes("--memory-reservation", f.memoryReservation);
  const cpu = { ...r.cpu };
  if (f.cpuShares) cpu.shares = int("--cpu-shares", f.cpuShares);
  if (f.cpuQuota) cpu.quota = int("--cpu-quota", f.cpuQuota);
  if (f.cpuPeriod) cpu.period = int("--cpu-period", f.cpuPeriod);
  if (f.cpuRtPeriod) cpu.realtimePeriod = int("--cpu-rt-period", f.cpuRtPeriod);
  if (f.cpuRtRuntime) cpu.realtimeRuntime = int("--cpu-rt-runtime", f.cpuRtRuntime);
  if (f.cpusetCpus) cpu.cpus = f.cpusetCpus;
  if (f.cpusetMems) cpu.mems = f.cpusetMems;
  const out: LinuxResources = { ...r };
  if (Object.keys(memory).length) out.memory = memory;
  if (Object.keys(cpu).length) out.cpu = cpu;
  if (f.pidsLimit) out.pids = { limit: int("--pids-limit", f.pidsLimit) };
  if (f.blkioWeight) out.blockIO = { ...r.blockIO, weight: int("--blkio-weight", f.blkioWeight) };
  return out;
}

export function registerUpdate(program: Command, ctx: () => OciContext): void {
  program
    .command("update <container-id>")
    .description("change the resource limits of a running container")
    .option("-r, --resources <file>", "linux.resources as JSON (- for stdin)")
    .option("--memory <size>", "memory limit")
    .option("--memory-swap <size>", "memory plus swap limit")
    .option("--memory-reservation <size>", "memory soft limit")
    .option("--kernel-memory <size>", "accepted for runc's callers; kernel memory limits are gone from the kernel")
    .option("--kernel-memory-tcp <size>", "accepted for runc's callers; see --kernel-memory")
    .option("--cpu-shares <n>", "CPU shares")
    .option("--cpu-quota <us>", "CPU CFS quota")
    .option("--cpu-period <us>", "CPU CFS period")
    .option("--cpu-rt-period <us>", "CPU realtime period")
    .option("--cpu-rt-runtime <us>", "CPU realtime runtime")
    .option("--cpuset-cpus <list>", "CPUs")
    .option("--cpuset-mems <list>", "memory nodes")
    .option("--pids-limit <n>", "maximum number of processes")
    .option("--blkio-weight <n>", "block IO weight (10-1000)")
    .action((id: string, f: UpdateFlags) => {
      const c = ctx();
      const st = stateOf(c, id);
      if (st.status === "stopped") throw notRunning();
      c.runtime().update(id, resourcesOf(f));
    });
}
