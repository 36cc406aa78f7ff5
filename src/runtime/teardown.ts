// Ending containers: signals, stopping a monitor's restarts, delete.
import fs from "node:fs";
import { MydockerError } from "../util/errors.js";
import { cgroupOf, readContainerState } from "./container-state.js";
import { isSameProcess, waitGone } from "./proc.js";
import { pollUntil } from "../util/poll.js";
import type { RuntimeContext } from "./runtime-context.js";
import { sendSignal, signalNumber } from "./signals.js";
import { hookState, runHooks } from "./hooks.js";
import { StateDir } from "./state.js";

/** How long delete waits for a killed container and its shim to go. */
const KILL_WAIT_MS = 5000;

/** Sends a signal to the container's init (all: to every process in its cgroup). */
export function killContainer(ctx: RuntimeContext, id: string, sig: string | number, all: boolean): void {
  const st = readContainerState(ctx, id);
  const num = signalNumber(sig);
  if (st.status === "stopped" || st.pid === undefined) {
    throw new MydockerError("bad-state", `container "${id}" is not running`);
  }
  const cgroup = cgroupOf(ctx, st);
  const pids = all && cgroup ? cgroup.pids() : [st.pid];
  for (const pid of pids) sendSignal(pid, num);
  if (st.status === "paused" && num === signalNumber("KILL")) cgroup?.thaw();
}

/** Tells a monitor that restarts its process to stop doing so (docker stop, docker kill). */
export function stopRestarts(ctx: RuntimeContext, id: string): void {
  const rec = new StateDir(ctx.runRoot, id).readState();
  if (!rec.monitorRestarts || rec.shimPid === undefined || !rec.shimStartTime || !isSameProcess(rec.shimPid, rec.shimStartTime)) return;
  try {
    process.kill(rec.shimPid, "SIGUSR2");
  } catch {
    // The monitor just ended: nothing left to restart.
  }
}

/** Removes a stopped container (force: kills it first): its cgroup and its state directory. */
export async function deleteContainer(ctx: RuntimeContext, id: string, force: boolean): Promise<void> {
  const sd = new StateDir(ctx.runRoot, id);
  if (!sd.exists() && fs.existsSync(sd.dir)) {
    // A create killed before its state file: nothing but the directory was made yet (its
    // shim, waiting for a plan, ends with its caller).
    sd.remove();
    return;
  }
  const st = readContainerState(ctx, id);
  const cgroup = cgroupOf(ctx, st);
  if (st.status !== "stopped") {
    if (!force) {
      throw new MydockerError("bad-state", `cannot delete container "${id}" that is ${st.status} (stop it, or force)`);
    }
    if (st.pid !== undefined) sendSignal(st.pid, signalNumber("KILL"));
    if (cgroup) {
      await cgroup.killAll();
      try {
        cgroup.thaw();
      } catch (e) {
        // The killed process's monitor ran its exit command, which released the cgroup
        // meanwhile (a loaded machine, or many removes at once): nothing is left to thaw.
        if (cgroupOf(ctx, st)) throw e;
      }
    }
  }
  // The shim writes the exit file into the directory after it reaped the process, and
  // nothing after it: once it is there, there is nothing to wait for. Not the shim's exit:
  // after the exit file it may become the exit command, which may well be calling us.
  if (!st.exit) {
    if (st.pid !== undefined && st.pidStartTime) await waitGone(st.pid, st.pidStartTime, KILL_WAIT_MS);
    const shim = st.shimPid !== undefined && st.shimStartTime ? { pid: st.shimPid, start: st.shimStartTime } : undefined;
    if (shim) await pollUntil(() => sd.readExit() !== undefined || !isSameProcess(shim.pid, shim.start), KILL_WAIT_MS);
  }
  await cgroup?.destroy();
  sd.remove();
  // poststop: a failure is logged, the container is gone all the same (runtime-spec).
  await runHooks(st.hooks, "poststop", hookState(st, "stopped")).catch((e: Error) => ctx.warn(e.message));
}
