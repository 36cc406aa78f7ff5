// A long read of a container's files (commit, export) runs with the container frozen: a
// terminal's ^C or a kill must stop the read and let the engine resume the container,
// not end the process with the container left frozen.
import os from "node:os";
import { MydockerError } from "../util/errors.js";
import { CLOSED_STATUS, onOutputClosed } from "./output-closed.js";

const STOPPING: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * From now until stop(): those signals, and our output's reader going away, abort `signal`
 * (with a MydockerError whose status is 128+N) instead of killing us.
 */
export function abortOnSignals(): { signal: AbortSignal; stop(): void } {
  const controller = new AbortController();
  const handlers = STOPPING.map((sig) => {
    const h = () => controller.abort(new MydockerError("EINTR", `interrupted by ${sig}`, 128 + os.constants.signals[sig]));
    process.on(sig, h);
    return [sig, h] as const;
  });
  const unwatch = onOutputClosed(() => controller.abort(new MydockerError("EPIPE", "output closed", CLOSED_STATUS)));
  return {
    signal: controller.signal,
    stop() {
      for (const [sig, h] of handlers) process.off(sig, h);
      unwatch();
    },
  };
}
