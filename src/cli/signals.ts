// A foreground container or exec gets the signals its caller gets: the shim runs in a
// session of its own, so the terminal's signals reach only us and we pass them on.
const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"];

/**
 * Passes signals on to handle until the returned function is called. A window size
 * change goes to the shim, which owns the pty and resizes it (the kernel then tells the
 * container's foreground process).
 */
export function forwardSignals(handle: { shimPid: number; signal(sig: string): void }): () => void {
  const handlers = FORWARDED.map((sig) => {
    const h = () => {
      if (sig !== "SIGWINCH") handle.signal(sig);
      else
        try {
          process.kill(handle.shimPid, sig);
        } catch {
          // The shim is gone: nothing left to resize.
        }
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => {
    for (const [sig, h] of handlers) process.off(sig, h);
  };
}
