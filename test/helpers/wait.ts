// Readiness instead of fixed pauses: a test waits for what it needs (a line, a state, a
// file) up to a deadline generous enough for a loaded 2-core machine, and fails saying
// what it waited for. A fixed pause either wastes time or, under load, is overrun.
import { setTimeout as sleep } from "node:timers/promises";

export interface WaitOptions {
  /** What the condition means, for the failure message. */
  what?: string;
  /** Deadline; 20 s by default, far above the normal case and below the per-test timeout. */
  timeoutMs?: number;
  /** Time between checks. */
  intervalMs?: number;
}

/** Resolves once cond() holds; rejects after the deadline. */
export async function waitFor(cond: () => boolean | Promise<boolean>, o: WaitOptions = {}): Promise<void> {
  const timeoutMs = o.timeoutMs ?? 20_000;
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${o.what ?? "a condition"}`);
    await sleep(o.intervalMs ?? 25);
  }
}

/** Resolves with get()'s first value that is not undefined; rejects after the deadline. */
export async function waitForValue<T>(get: () => T | undefined | Promise<T | undefined>, o: WaitOptions = {}): Promise<T> {
  let value: T | undefined;
  await waitFor(async () => (value = await get()) !== undefined, o);
  return value as T;
}
