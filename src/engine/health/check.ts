// The container's health check as the runtime's monitor runs it, and what it found in
// docker's shape (State.Health), kept on the container's record.
import type { HealthCheck, HealthState } from "../../runtime/index.js";
import type { Spec } from "../../spec/runtime.js";
import type { ContainerRecord } from "../container-store.js";
import { healthPolicy } from "./config.js";
import type { Health } from "./types.js";

export type { Health } from "./types.js";

/** The check, run as the container's own process is (its user, environment, directory), without a terminal. */
export function healthCheckFor(c: ContainerRecord, spec: Spec): HealthCheck | undefined {
  const policy = healthPolicy(c.config.Healthcheck);
  if (!policy || !spec.process) return undefined;
  const { argv, ...timing } = policy;
  return { ...timing, process: { ...spec.process, args: argv, terminal: false } };
}

export function dockerHealth(h: HealthState): Health {
  return {
    Status: h.status,
    FailingStreak: h.failingStreak,
    Log: h.log.map((r) => ({ Start: r.start, End: r.end, ExitCode: r.exitCode, Output: r.output })),
  };
}

/** docker ps's health note after "Up ...". */
export function healthNote(h: Health | undefined): string {
  if (!h) return "";
  return h.Status === "starting" ? " (health: starting)" : ` (${h.Status})`;
}
