// A foreground container or exec gets the signals its caller gets: the shim runs in a
// session of its own, so the terminal's signals reach only us and we pass them on.
const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"];

interface Target {
  signal(sig: string): void;
  /** The shim that owns the pty (it resizes it on SIGWINCH)... */
  shimPid?: number;
  /** ...or how else the window size reaches the container. */
  resize?(): void;
}

/**
 * Takes the signals from now on (so that none kills us while the container starts) and
 * passes them to the target once attached; those that came before are delivered then.
 * A window size change goes to the shim, which owns the pty and resizes it.
 */
export function forwardSignals(): { attach(target: Target): void; stop(): void } {
  let target: Target | undefined;
  const early: NodeJS.Signals[] = [];
  const deliver = (t: Target, sig: NodeJS.Signals) => {
    if (sig !== "SIGWINCH") t.signal(sig);
    else if (t.resize) t.resize();
    else if (t.shimPid !== undefined)
      try {
        process.kill(t.shimPid, sig);
      } catch {
        // The shim is gone: nothing left to resize.
      }
  };
  const handlers = FORWARDED.map((sig) => {
    const h = () => (target ? deliver(target, sig) : early.push(sig));
    process.on(sig, h);
    return [sig, h] as const;
  });
  return {
    attach(t) {
      target = t;
      for (const sig of early.splice(0)) deliver(t, sig);
    },
    stop() {
      for (const [sig, h] of handlers) process.off(sig, h);
    },
  };
}
