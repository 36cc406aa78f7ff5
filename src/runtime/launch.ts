// Starting a shim and getting the container to a milestone, or leaving no process behind.
import type { Plan } from "./plan.js";
import type { Launcher } from "./launcher.js";
import { Shim } from "./shim.js";

interface LaunchOptions {
  shimPath: string;
  /**
   * Called once the shim runs and waits for its plan: the caller can record the shim (the
   * one process a crash from here on may leave), make what the plan needs and return it.
   * Should it throw, the shim is killed before it did anything.
   */
  plan: (shimPid: number) => Plan;
  stdio: "inherit" | "ignore" | "pipe";
  stdin?: boolean;
  /** Our fds 3..3+N-1, passed to the shim at 4 and on (after its control socket). */
  extraFds?: number;
  /** "ready": the child waits on the exec FIFO (create); "exec": the process runs (run, exec). */
  until: "ready" | "exec";
  onPid?: (pid: number) => Promise<void>;
  onHooks?: (pid: number, pause: number) => Promise<void>;
  launcher?: Launcher;
  /** Spawn the shim without a fork where its options allow (see ShimOptions.vfork). */
  vfork?: boolean;
  debug?: (msg: string) => void;
}

/** How long a failed shim gets to reap its child and exit once killed. */
const ABORT_WAIT_MS = 5000;

export async function launch(o: LaunchOptions): Promise<{ shim: Shim; pid: number }> {
  const shim = await Shim.start(o);
  try {
    shim.sendPlan(o.plan(shim.shimPid));
    return { shim, pid: await shim.until(o.until) };
  } catch (e) {
    shim.abort();
    // A timer left pending would hold a command line's exit for its whole length.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([shim.exited, new Promise((r) => (timer = setTimeout(r, ABORT_WAIT_MS)))]);
    clearTimeout(timer);
    throw e;
  }
}
