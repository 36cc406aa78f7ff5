// A container's state as the kernel sees it now: its state file, checked against its
// processes, its exit file and its cgroup.
import fs from "node:fs";
import type { Cgroup } from "../cgroups/types.js";
import type { ContainerStatus } from "../spec/runtime.js";
import { isSameProcess, processStartTime } from "./proc.js";
import type { RuntimeContext } from "./runtime-context.js";
import type { RuntimeState } from "./runtime-options.js";
import { isContainerId, StateDir, type ExitInfo, type StateRecord } from "./state.js";
import { PrefetchedFiles, type FileReader } from "../util/prefetched-files.js";

/** read: where its files' texts come from (readContainerStates reads many containers' at once). */
export function readContainerState(ctx: RuntimeContext, id: string, read?: FileReader): RuntimeState {
  const sd = new StateDir(ctx.runRoot, id);
  let rec = sd.readState(read);
  const restarts = rec.monitorRestarts ? sd.readRuns() : undefined;
  if (restarts) {
    // The monitor ran the process again: the current run's pid is in its pid file.
    const pid = sd.readPid();
    if (pid !== undefined && pid !== rec.pid) rec = { ...rec, pid, pidStartTime: processStartTime(pid) };
  }
  const exit = sd.readExit(read);
  return { ...rec, status: statusOf(ctx, sd, rec, exit, read), ...(exit ? { exit } : {}), ...(restarts ? { restarts } : {}) };
}

/**
 * The states of many containers (ps beside a thousand), undefined for one whose state cannot
 * be read: the files each needs read at once, in two rounds (their state and exit files, then
 * their processes' /proc entries and their freezers).
 */
export function readContainerStates(ctx: RuntimeContext, ids: string[]): (RuntimeState | undefined)[] {
  // A cgroup removed between a file's open and read (its container just ended) answers ENODEV.
  const files = new PrefetchedFiles(undefined, ["ENOENT", "ENODEV"]);
  const dirs = ids.flatMap((id) => (isContainerId(id) ? [new StateDir(ctx.runRoot, id)] : []));
  files.prefetch(dirs.flatMap((sd) => [sd.stateFile, sd.exitFile]));
  const live = dirs.flatMap((sd) => {
    let rec: StateRecord;
    try {
      rec = sd.readState(files.read);
      if (files.read(sd.exitFile) !== undefined) return [];
    } catch {
      return [];
    }
    // The shim's own entry only matters once the process is gone: read then, if ever.
    const procs = rec.pid === undefined ? [] : [`/proc/${rec.pid}/stat`];
    return rec.cgroupPath === null || !ctx.cgroups ? procs : [...procs, ...ctx.cgroups.at(rec.cgroupPath).freezerFiles()];
  });
  files.prefetch(live);
  return ids.map((id) => {
    try {
      return readContainerState(ctx, id, files.read);
    } catch {
      return undefined;
    }
  });
}

export function cgroupOf(ctx: RuntimeContext, st: StateRecord): Cgroup | undefined {
  return st.cgroupPath === null ? undefined : ctx.cgroups?.open(st.cgroupPath);
}

function statusOf(ctx: RuntimeContext, sd: StateDir, rec: StateRecord, exit: ExitInfo | undefined, read?: FileReader): ContainerStatus {
  if (exit) return "stopped";
  const alive = (pid?: number, start?: string) => pid !== undefined && start !== undefined && isSameProcess(pid, start, read);
  if (rec.status === "creating") return alive(rec.shimPid, rec.shimStartTime) ? "creating" : "stopped";
  // Between the process's end and its exit file the shim is still at work: not stopped yet,
  // so that "stopped" always comes with the exit status. A shim killed with -9 writes none.
  if (!alive(rec.pid, rec.pidStartTime)) return alive(rec.shimPid, rec.shimStartTime) ? "running" : "stopped";
  if (fs.existsSync(sd.execFifo)) return "created";
  // Its cgroup unchecked (no stat): ps reads every container's, and a missing one is not frozen.
  return rec.cgroupPath !== null && ctx.cgroups?.at(rec.cgroupPath).isFrozen(read) ? "paused" : "running";
}
