// A foreground container gets the signals its caller's supervisor sends to myrunc.
import type { ProcessHandle } from "../runtime/index.js";

const FORWARDED = ["SIGHUP", "SIGINT", "SIGQUIT", "SIGTERM", "SIGUSR1", "SIGUSR2", "SIGWINCH"] as const;

/** Passes those signals on to the process until the returned function is called. */
export function forwardSignals(handle: ProcessHandle): () => void {
  const on = (sig: NodeJS.Signals) => handle.signal(sig);
  for (const s of FORWARDED) process.on(s, on);
  return () => {
    for (const s of FORWARDED) process.off(s, on);
  };
}
