// A container's state as the kernel sees it now: its state file, checked against its
// processes, its exit file and its cgroup.
import fs from "node:fs";
import type { Cgroup } from "../cgroups/types.js";
import type { ContainerStatus } from "../spec/runtime.js";
import { isSameProcess, processStartTime } from "./proc.js";
import type { RuntimeContext } from "./runtime-context.js";
import type { RuntimeState } from "./runtime-options.js";
import { StateDir, type ExitInfo, type StateRecord } from "./state.js";

export function readContainerState(ctx: RuntimeContext, id: string): RuntimeState {
  const sd = new StateDir(ctx.runRoot, id);
  let rec = sd.readState();
  const restarts = rec.monitorRestarts ? sd.readRuns() : undefined;
  if (restarts) {
    // The monitor ran the process again: the current run's pid is in its pid file.
    const pid = sd.readPid();
    if (pid !== undefined && pid !== rec.pid) rec = { ...rec, pid, pidStartTime: processStartTime(pid) };
  }
  const exit = sd.readExit();
  return { ...rec, status: statusOf(ctx, sd, rec, exit), ...(exit ? { exit } : {}), ...(restarts ? { restarts } : {}) };
}

export function cgroupOf(ctx: RuntimeContext, st: StateRecord): Cgroup | undefined {
  return st.cgroupPath === null ? undefined : ctx.cgroups?.open(st.cgroupPath);
}

function statusOf(ctx: RuntimeContext, sd: StateDir, rec: StateRecord, exit: ExitInfo | undefined): ContainerStatus {
  if (exit) return "stopped";
  const alive = (pid?: number, start?: string) => pid !== undefined && start !== undefined && isSameProcess(pid, start);
  if (rec.status === "creating") return alive(rec.shimPid, rec.shimStartTime) ? "creating" : "stopped";
  // Between the process's end and its exit file the shim is still at work: not stopped yet,
  // so that "stopped" always comes with the exit status. A shim killed with -9 writes none.
  if (!alive(rec.pid, rec.pidStartTime)) return alive(rec.shimPid, rec.shimStartTime) ? "running" : "stopped";
  if (fs.existsSync(sd.execFifo)) return "created";
  // Its cgroup unchecked (no stat): ps reads every container's, and a missing one is not frozen.
  return rec.cgroupPath !== null && ctx.cgroups?.at(rec.cgroupPath).isFrozen() ? "paused" : "running";
}
