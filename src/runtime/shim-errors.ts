// A failed plan step, as people (and docker's exit codes) expect to read it.
import util from "node:util";
import { MydockerError } from "../util/errors.js";
import type { Plan } from "./plan.js";

interface StepFailure {
  step: number;
  op: string;
  errno: number;
  message: string;
}

// libuv's table (keyed by negative errno) lacks a few that exec reports.
const ERRNO = new Map([...util.getSystemErrorMap(), [-8, ["ENOEXEC", "exec format error"]], [-10, ["ECHILD", "no child processes"]]]);

function errnoText(errno: number): string {
  return ERRNO.get(-errno)?.[1] ?? `errno ${errno}`;
}

function errnoName(errno: number): string {
  return ERRNO.get(-errno)?.[0] ?? String(errno);
}

/** Parses the text after "error " in the control protocol: STEP OP ERRNO MESSAGE. */
export function parseStepFailure(text: string): StepFailure | undefined {
  const m = /^(-?\d+) (\S+) (\d+) ?(.*)$/.exec(text);
  if (!m) return undefined;
  return { step: Number(m[1]), op: m[2] as string, errno: Number(m[3]), message: m[4] as string };
}

const ENOENT = 2;
const EACCES = 13;
const ENOEXEC = 8;

/** exec ENOENT -> 127, EACCES/ENOEXEC -> 126 (docker's texts), anything else -> 125. */
export function stepFailureError(plan: Plan, f: StepFailure): MydockerError {
  const step = plan[f.step];
  if (f.op === "exec" && step?.op === "exec") {
    const cmd = step.argv[0] ?? "";
    if (f.errno === ENOENT) {
      const text = cmd.includes("/") ? `stat ${cmd}: no such file or directory` : "executable file not found in $PATH";
      return new MydockerError("exec-not-found", `exec: "${cmd}": ${text}`, 127);
    }
    if (f.errno === EACCES || f.errno === ENOEXEC) {
      return new MydockerError("exec-denied", `exec: "${cmd}": ${errnoText(f.errno)}`, 126);
    }
  }
  if (f.op === "chdir" && step?.op === "chdir") {
    return new MydockerError("container-setup", `chdir to cwd ("${step.dir}") set in config.json failed: ${errnoText(f.errno)}`);
  }
  const detail = f.message ? `: ${f.message}` : "";
  return new MydockerError(
    "container-setup",
    `container setup failed at step ${f.step} (${f.op}): ${errnoText(f.errno)} (${errnoName(f.errno)})${detail}`,
  );
}
