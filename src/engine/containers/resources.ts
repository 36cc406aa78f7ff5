// Limits and accounting of running containers: update, pause, top, stats.
import fs from "node:fs";
import { spawnSync } from "node:child_process";
import os from "node:os";
import type { CgroupUsage, CpuDetail } from "../../cgroups/types.js";
import type { LinuxResources } from "../../spec/runtime.js";
import { MydockerError } from "../../util/errors.js";
import type { ContainerContext } from "./context.js";
import type { ContainerListing, ContainerRecord } from "../container-store.js";
import { mergeResources } from "../resource-flags.js";
import type { RestartPolicy } from "../container-config.js";
import { updateRestartPolicy } from "./restart-policy.js";
import { containerEvent } from "../events/actors.js";
import { restartingMessage } from "./control.js";
import { cgroupsPathOf } from "../spec-builder.js";

function requireRunning(c: ContainerRecord): void {
  if (c.state.status !== "running" && c.state.status !== "paused") throw new MydockerError("ENOTRUNNING", `container ${c.id} is not running`);
}

/** docker update: new limits for a running (or stopped: the next start) container. */
export function updateContainer(ctx: ContainerContext, query: string, update: LinuxResources, restart?: RestartPolicy): string {
  const c = ctx.reconciler.resolve(query);
  const merged = mergeResources(c.hostConfig.Resources, update);
  if (c.state.status === "running" || c.state.status === "paused") ctx.runtime.update(c.id, merged);
  ctx.containers.setHostConfig(c.id, { ...c.hostConfig, Resources: merged });
  if (restart) updateRestartPolicy(ctx, c.id, restart);
  ctx.events.record(containerEvent(c, "update"));
  return c.id;
}

export async function pauseContainer(ctx: ContainerContext, query: string): Promise<string> {
  const c = ctx.reconciler.resolve(query);
  if (c.state.status === "paused") throw new MydockerError("EPAUSED", `container ${c.id} is already paused`);
  if (c.state.status === "restarting") throw new MydockerError("ENOTRUNNING", restartingMessage(c));
  if (c.state.status !== "running") throw new MydockerError("ENOTRUNNING", `container ${c.id} is not running`);
  await ctx.runtime.pause(c.id);
  ctx.containers.setState(c.id, { ...c.state, status: "paused" });
  ctx.events.record(containerEvent(c, "pause"));
  return c.id;
}

export async function unpauseContainer(ctx: ContainerContext, query: string): Promise<string> {
  const c = ctx.reconciler.resolve(query);
  if (c.state.status !== "paused") throw new MydockerError("ENOTPAUSED", `container ${c.id} is not paused`);
  await ctx.runtime.resume(c.id);
  ctx.containers.setState(c.id, { ...c.state, status: "running" });
  ctx.events.record(containerEvent(c, "unpause"));
  return c.id;
}

/**
 * docker top: ps run with the caller's options (default -ef), and of its rows those of the
 * processes in the container's cgroup, found by the PID column as docker finds them:
 * options such as `aux` or `-o pid,args` would ignore a `-p` selection.
 */
export function topContainer(ctx: ContainerContext, query: string, psArgs: string[] = ["-ef"]): { titles: string[]; processes: string[][] } {
  const c = ctx.reconciler.resolve(query);
  requireRunning(c);
  const pids = new Set(ctx.runtime.pids(c.id).map(String));
  const r = spawnSync("ps", psArgs, { encoding: "utf8", maxBuffer: 64 << 20 });
  const lines = r.stdout.split("\n").filter(Boolean);
  if (r.status !== 0 || lines.length === 0) throw new MydockerError("EPS", `ps ${psArgs.join(" ")} failed: ${r.stderr.trim() || `exit status ${r.status}`}`);
  const titles = lines[0]!.trim().split(/\s+/);
  const pidColumn = titles.indexOf("PID");
  if (pidColumn < 0) throw new MydockerError("EPS", `Couldn't find PID field in ps output: give ps options that print PID (-o pid,args)`);
  const processes = lines
    .slice(1)
    .map((l) => {
      const f = l.trim().split(/\s+/);
      return [...f.slice(0, titles.length - 1), f.slice(titles.length - 1).join(" ")];
    })
    .filter((row) => pids.has(row[pidColumn]!));
  return { titles, processes };
}

export interface StatsSample {
  id: string;
  name: string;
  /** With cpuDetail asked: per CPU, user and kernel time, throttling. */
  stats: CgroupUsage & { cpu?: CpuDetail };
  /** Host CPU time of all CPUs, in nanoseconds (docker's system_cpu_usage). */
  system: number;
  /** When it was read and when the container's current run started (ms since the epoch). */
  at: number;
  startedAt: number;
}

function systemCpuNanos(): number {
  const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!;
  const ticks = line.trim().split(/\s+/).slice(1, 8).reduce((a, b) => a + Number(b), 0);
  return (ticks * 1e9) / 100;
}

/** A container stats reads. */
export interface StatsTarget {
  id: string;
  name: string;
  startedAt: number;
  /** The cgroup its spec named: read without the runtime's state of each of many containers. */
  cgroupsPath: string;
  /** stats -a: a container that does not run is shown, with zeros. */
  stopped?: boolean;
}

const ZERO: CgroupUsage = { cpuUsageNanos: 0, memoryUsage: 0, memoryLimit: 0, pids: 0, blkioReadBytes: 0, blkioWriteBytes: 0 };

/**
 * The containers of the list that run (all of them with all, as docker stats -a); one that
 * stopped since it was listed is left out of the samples. engineParent: the engine's cgroup
 * parent, under which a container without --cgroup-parent runs.
 */
export function statsTargets(containers: (ContainerListing | ContainerRecord)[], engineParent: string, all = false): StatsTarget[] {
  const up = (c: ContainerListing | ContainerRecord) => c.state.status === "running" || c.state.status === "paused";
  return containers
    .filter((c) => all || up(c))
    .map((c) => ({
      id: c.id,
      name: c.name,
      startedAt: Date.parse(c.state.startedAt),
      cgroupsPath: cgroupsPathOf(c.id, "cgroupParent" in c ? c.cgroupParent : c.hostConfig.CgroupParent, engineParent),
      ...(up(c) ? {} : { stopped: true }),
    }));
}

/**
 * One reading of every target, with the host's CPU time read once for all of them: a second
 * reading as long after the first as this one took reads each container over the same interval.
 */
export function sampleStats(ctx: ContainerContext, targets: StatsTarget[], cpuDetail = false): StatsSample[] {
  const system = systemCpuNanos();
  const at = Date.now();
  const running = targets.filter((t) => !t.stopped);
  const usages = new Map(ctx.runtime.usages(running.map((t) => ({ id: t.id, cgroupsPath: t.cgroupsPath, cpuDetail }))).map((u, i) => [running[i]!.id, u]));
  const out: StatsSample[] = [];
  for (const t of targets) {
    // Undefined when it stopped between the listing and this read.
    const stats = t.stopped ? ZERO : usages.get(t.id);
    if (stats) out.push({ id: t.id, name: t.name, stats, system, at, startedAt: t.startedAt });
  }
  return out;
}

/**
 * docker's CPU %: the container's share of all CPUs' time between two samples, times the CPU
 * count. Without an earlier sample (the first reading), its share of one CPU since its run
 * started, as podman's first reading: one reading then suffices, with no interval to wait.
 */
export function cpuPercent(prev: StatsSample | undefined, cur: StatsSample): number {
  if (!prev) {
    const wallNanos = (cur.at - cur.startedAt) * 1e6;
    return wallNanos > 0 && cur.stats.cpuUsageNanos > 0 ? (cur.stats.cpuUsageNanos / wallNanos) * 100 : 0;
  }
  const cpu = cur.stats.cpuUsageNanos - prev.stats.cpuUsageNanos;
  const sys = cur.system - prev.system;
  return sys > 0 && cpu > 0 ? (cpu / sys) * os.cpus().length * 100 : 0;
}
