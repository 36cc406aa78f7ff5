// Signal names and numbers ("TERM", "SIGTERM", "15" and 15 all mean the same).
import { constants } from "node:os";
import { MydockerError } from "../util/errors.js";

const SIGNALS = constants.signals as Record<string, number>;

export function signalNumber(sig: string | number): number {
  if (typeof sig === "number" || /^\d+$/.test(sig)) {
    const n = Number(sig);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new MydockerError("invalid-signal", `invalid signal: ${sig}`);
    return n;
  }
  const upper = sig.toUpperCase();
  const n = SIGNALS[upper.startsWith("SIG") ? upper : `SIG${upper}`];
  if (n === undefined) throw new MydockerError("invalid-signal", `invalid signal: ${sig}`);
  return n;
}

/** Signals a foreground container receives from its caller's terminal or supervisor. */
export const FORWARDED_SIGNALS: readonly number[] = ["SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGTERM"].map(
  (s) => SIGNALS[s] as number,
);

/** Sends a signal to a process that may have gone meanwhile (ESRCH is not an error). */
export function sendSignal(pid: number, sig: number): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
}
