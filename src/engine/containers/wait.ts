// docker wait's conditions, as the API offers them: "not-running" (now, or once it stops),
// "next-exit" (the end of the next run, asked before start by `docker run`) and "removed"
// (once the record is gone, an --rm container's included: its exit code is kept a while).
import { MydockerError } from "../../util/errors.js";
import type { ContainerRecord } from "../container-store.js";
import { isRunning, type ContainerContext } from "./context.js";

export type WaitCondition = "not-running" | "next-exit" | "removed";

export const WAIT_CONDITIONS: readonly WaitCondition[] = ["not-running", "next-exit", "removed"];

const POLL_MS = 50;

export function parseWaitCondition(value: string | undefined): WaitCondition {
  if (value === undefined || value === "") return "not-running";
  if ((WAIT_CONDITIONS as readonly string[]).includes(value)) return value as WaitCondition;
  throw new MydockerError("EINVAL", `invalid condition: "${value}": use not-running, next-exit or removed`);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** The record as the kernel has it now, once ends seen meanwhile are recorded; undefined once removed. */
async function current(ctx: ContainerContext, id: string): Promise<ContainerRecord | undefined> {
  if (!ctx.containers.hasId(id)) return undefined;
  ctx.reconciler.resolve(id);
  await ctx.reconciler.settle();
  return ctx.containers.get(id);
}

/**
 * Resolves with the exit code once the condition holds. A waiter that goes away aborts
 * signal: the promise then rejects with EINTR and nothing is left polling.
 */
export async function waitForCondition(ctx: ContainerContext, query: string, condition: WaitCondition, signal?: AbortSignal): Promise<number> {
  const first = ctx.reconciler.resolve(query);
  const id = first.id;
  let ran = isRunning(first.state.status);
  for (;;) {
    if (signal?.aborted) throw new MydockerError("EINTR", "the waiter went away");
    const c = await current(ctx, id);
    if (!c) return ctx.containers.lastExit(id) ?? first.state.exitCode;
    const up = isRunning(c.state.status) || c.state.status === "removing";
    if (c.state.startedAt !== first.state.startedAt) ran = true;
    if (condition === "not-running" && !up) return c.state.exitCode;
    if (condition === "next-exit" && ran && !up && c.state.status !== "created") return c.state.exitCode;
    await sleep(POLL_MS, signal);
  }
}
