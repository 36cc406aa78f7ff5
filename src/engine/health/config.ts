// A container's health check: the image's HEALTHCHECK with run's --health-* over it, and
// docker's defaults for what neither says.
import type { ImageHealthcheck } from "../../spec/image.js";
import { FlagError, MydockerError } from "../../util/errors.js";
import type { HealthConfig } from "../container-config.js";
import { parseGoDuration } from "../timestamps.js";

const NS_PER_MS = 1_000_000;
export const HEALTH_DEFAULTS = { interval: 30_000, timeout: 30_000, startPeriod: 0, retries: 3 } as const;

/** The check as its runner needs it: durations in ms, docker's defaults applied. */
export interface HealthPolicy {
  /** argv run in the container: CMD's as is, CMD-SHELL's through `/bin/sh -c`. */
  argv: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  retries: number;
}

/** A --health-* duration, Go's time.ParseDuration ("30s", "1m30s", "250ms"), in nanoseconds; docker's CLI refuses a negative one. */
export function parseDuration(flag: string, text: string): number {
  const ns = parseGoDuration(text);
  if (ns === undefined) throw new FlagError("EINVAL", `invalid argument "${text}" for "${flag}" flag: time: invalid duration "${text}"`);
  if (ns < 0n) throw new MydockerError("EINVAL", `${flag} cannot be negative`);
  return Number(ns);
}

/** docker's merge: what run says wins, each field the image sets fills what run left at zero. */
export function mergeHealthcheck(run: HealthConfig | undefined, image: ImageHealthcheck | undefined): HealthConfig | undefined {
  if (!run && !image) return undefined;
  const merged: HealthConfig = { Test: run?.Test?.length ? run.Test : (image?.Test ?? []) };
  for (const k of ["Interval", "Timeout", "StartPeriod", "Retries"] as const) {
    const v = run?.[k] || image?.[k];
    if (v) merged[k] = v;
  }
  checkHealthcheck(merged);
  return merged;
}

function checkHealthcheck(h: HealthConfig): void {
  for (const k of ["Interval", "Timeout", "StartPeriod"] as const) {
    const v = h[k];
    if (v !== undefined && v !== 0 && v < NS_PER_MS) throw new MydockerError("EINVAL", `${k} in Healthcheck cannot be less than 1ms`);
  }
  if (h.Retries !== undefined && h.Retries < 0) throw new MydockerError("EINVAL", "Retries in Healthcheck cannot be negative");
  const kind = h.Test[0];
  if (kind !== undefined && kind !== "NONE" && kind !== "CMD" && kind !== "CMD-SHELL") {
    throw new MydockerError("EINVAL", `unknown Healthcheck type ${kind}: use CMD, CMD-SHELL or NONE`);
  }
}

/** What the monitor runs, or undefined when the container has no check. */
export function healthPolicy(h: HealthConfig | undefined): HealthPolicy | undefined {
  const [kind, ...rest] = h?.Test ?? [];
  if (!h || kind === undefined || kind === "NONE" || rest.length === 0) return undefined;
  const argv = kind === "CMD-SHELL" ? ["/bin/sh", "-c", rest.join(" ")] : rest;
  const ms = (ns: number | undefined, d: number) => (ns ? Math.max(1, Math.round(ns / NS_PER_MS)) : d);
  return {
    argv,
    intervalMs: ms(h.Interval, HEALTH_DEFAULTS.interval),
    timeoutMs: ms(h.Timeout, HEALTH_DEFAULTS.timeout),
    startPeriodMs: ms(h.StartPeriod, HEALTH_DEFAULTS.startPeriod),
    retries: h.Retries || HEALTH_DEFAULTS.retries,
  };
}
