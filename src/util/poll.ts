// Polling for a condition the kernel gives no event for (a process gone, a cgroup frozen or
// empty): checks often at first, then backs off, up to a deadline.
import { setTimeout as sleep } from "node:timers/promises";

const MAX_DELAY_MS = 20;

/** Resolves true once check() holds, false when timeoutMs passed first. */
export async function pollUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; !check(); delay = Math.min(delay * 2, MAX_DELAY_MS)) {
    if (Date.now() > deadline) return false;
    await sleep(delay);
  }
  return true;
}
