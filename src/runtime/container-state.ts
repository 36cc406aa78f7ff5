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
  return stateOf(ctx, sd, sd.readState(read), read);
}

/** The state a container's state record stands for now: its restarts, its exit, its processes. */
function stateOf(ctx: RuntimeContext, sd: StateDir, rec: StateRecord, read?: FileReader): RuntimeState {
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
 * their processes' /proc entries and their freezers), each state file parsed once.
 */
export function readContainerStates(ctx: RuntimeContext, ids: string[]): (RuntimeState | undefined)[] {
  // A cgroup removed between a file's open and read (its container just ended) answers ENODEV.
  const files = new PrefetchedFiles(undefined, ["ENOENT", "ENODEV"]);
  const dirs = ids.map((id) => (isContainerId(id) ? new StateDir(ctx.runRoot, id) : undefined));
  files.prefetch(dirs.flatMap((sd) => (sd ? [sd.stateFile, sd.exitFile] : [])));
  const recs = dirs.map((sd) => {
    try {
      return sd && { rec: sd.readState(files.read), exited: files.read(sd.exitFile) !== undefined };
    } catch {
      return undefined;
    }
  });
  files.prefetch(
    recs.flatMap((r) => {
      if (!r || r.exited) return [];
      const { rec } = r;
      // The shim's own entry only matters once the process is gone: read then, if ever.
      const procs = rec.pid === undefined ? [] : [`/proc/${rec.pid}/stat`];
      return rec.cgroupPath === null || !ctx.cgroups ? procs : [...procs, ...ctx.cgroups.at(rec.cgroupPath).freezerFiles()];
    }),
  );
  return recs.map((r, i) => {
    try {
      return r && stateOf(ctx, dirs[i]!, r.rec, files.read);
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
