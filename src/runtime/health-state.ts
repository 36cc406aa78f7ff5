// The health check's plan (written at create) and its status file (the monitor's): the
// status, the failing streak, then each of the last results as `START END EXITCODE LEN\n`,
// LEN bytes of output and `\n` (docs/plan.md, `health`).
import fs from "node:fs";
import { isErrno } from "../util/errors.js";
import { compileExec, type MonitorHealth } from "./compile.js";
import { encodePlan } from "./plan.js";
import type { HealthCheck } from "./runtime-options.js";
import type { SeccompFilter } from "./seccomp-compile.js";
import { nanosToRfc3339, type StateDir } from "./state.js";
import { validateProcess } from "./validate.js";

export interface HealthResult {
  start: string;
  end: string;
  /** -1: it ran out of time. */
  exitCode: number;
  output: string;
}

export interface HealthState {
  status: "starting" | "healthy" | "unhealthy";
  failingStreak: number;
  /** Oldest first. */
  log: HealthResult[];
}

/** What the monitor's `health` record needs: the check's plan, written next to the state file. */
export function prepareHealth(
  sd: StateDir,
  shimPath: string,
  check: HealthCheck,
  target: { namespaces: Parameters<typeof compileExec>[0]["namespaces"]; seccomp?: SeccompFilter },
  o: { lastCap: number; cgroupJoin?: string[]; cloneCgroup?: string },
): MonitorHealth {
  const plan = compileExec({ pid: 0, procDir: ".", namespaces: target.namespaces, seccomp: target.seccomp }, validateProcess(check.process), {
    ...o,
    pidFile: sd.healthPid,
  });
  fs.writeFileSync(sd.healthPlan, encodePlan(plan), { mode: 0o600 });
  const { process: _, ...timing } = check;
  return { ...timing, statusFile: sd.healthStatus, pidFile: sd.healthPid, argv: [shimPath, "--plan", sd.healthPlan] };
}

export function readHealth(sd: StateDir): HealthState | undefined {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(sd.healthStatus);
  } catch (e) {
    if (isErrno(e, "ENOENT")) return undefined;
    throw e;
  }
  let pos = 0;
  const line = (): string => {
    const nl = buf.indexOf(10, pos);
    const text = buf.subarray(pos, nl < 0 ? buf.length : nl).toString();
    pos = nl < 0 ? buf.length : nl + 1;
    return text;
  };
  const [status = "starting", streak = "0"] = line().split(" ");
  const log: HealthResult[] = [];
  while (pos < buf.length) {
    const [start = "0", end = "0", code = "0", len = "0"] = line().split(" ");
    const output = buf.subarray(pos, pos + Number(len)).toString();
    pos += Number(len) + 1;
    log.push({ start: nanosToRfc3339(BigInt(start)), end: nanosToRfc3339(BigInt(end)), exitCode: Number(code), output });
  }
  return { status: status as HealthState["status"], failingStreak: Number(streak), log };
}
