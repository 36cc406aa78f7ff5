// A failed plan step, as people (and docker's exit codes) expect to read it.
import util from "node:util";
import { MydockerError } from "../util/errors.js";
import type { Plan, PlanStep } from "./plan.js";

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

/** A published port another socket holds: the monitor's bind failed before anything ran. */
export class PortInUseError extends MydockerError {
  constructor(
    readonly protocol: "tcp" | "udp",
    readonly hostIp: string,
    readonly hostPort: number,
  ) {
    super("EPORTINUSE", `Bind for ${hostIp}:${hostPort} failed: port is already allocated`);
  }
}

const ENOENT = 2;
const EADDRINUSE = 98;
const EACCES = 13;
const ENOEXEC = 8;
const ENOTDIR = 20;

/** An overlay's mount(2) options, by the directories an ENOENT or EBUSY is about (the lower layers only counted). */
function overlayDirs(data: string): string {
  const option = (name: string) => new RegExp(`(?:^|,)${name}=([^,]*)`).exec(data)?.[1];
  const lower = option("lowerdir")?.split(":").length ?? 0;
  return `an overlay (upperdir ${option("upperdir") ?? "none"}, workdir ${option("workdir") ?? "none"}, ${lower} lower layers)`;
}

/** What a step was doing, in the terms of the container's configuration. */
function doing(step: PlanStep): string | undefined {
  switch (step.op) {
    case "mount":
      return step.fstype === "overlay" ? `mounting ${overlayDirs(step.data)} on ${step.path}` : `mounting ${step.source || step.fstype} on ${step.path} in the container`;
    case "bindfrom":
      return `mounting ${step.source} of the namespace ${step.ns} on ${step.path} in the container`;
    case "overlay":
      return `mounting the container's root filesystem (an overlay of ${step.lower.length} layers) on ${step.target}`;
    case "mknod":
      return `creating the device ${step.path} in the container`;
    case "symlink":
      return `creating the link ${step.path} in the container`;
    case "pivot_root":
    case "chroot":
      return `entering the container's root filesystem ${step.root}`;
    case "mask":
      return `masking ${step.path}`;
    case "readonly":
      return `making ${step.path} read-only`;
    case "hostname":
      return `setting the hostname "${step.name}"`;
    case "domainname":
      return `setting the domain name "${step.name}"`;
    case "sysctl":
      return `setting the sysctl ${step.key}=${step.value}`;
    case "oomscoreadj":
      return `setting the OOM score adjustment ${step.value}`;
    case "rlimit":
      return "setting a resource limit (ulimit)";
    case "user":
      return `switching to user ${step.uid}:${step.gid}`;
    case "caps":
    case "bounding":
      return "setting the capabilities";
    case "seccomp":
      return "loading the seccomp profile";
    case "apparmor":
      return `applying the AppArmor profile "${step.profile}" (process.apparmorProfile)`;
    case "setns":
    case "userns":
      return `joining the namespace ${step.path}`;
    case "cgroupjoin":
    case "clonecgroup":
      return `joining the cgroup ${step.path}`;
    case "console":
      return "setting up the terminal";
    case "log":
      return `opening the log file ${step.path}`;
    case "clone":
      return "creating the container's namespaces";
    case "keyring":
      return "creating the session keyring";
    case "publish":
      return `publishing ${step.hostIp}:${step.hostPort}/${step.protocol}`;
    default:
      return undefined;
  }
}

/** exec ENOENT -> 127, EACCES/ENOEXEC -> 126 (docker's texts), anything else -> 125. */
export function stepFailureError(plan: Plan, f: StepFailure): MydockerError {
  const step = plan[f.step];
  if (f.op === "exec" && step?.op === "exec") {
    const cmd = step.argv[0] ?? "";
    if (f.errno === ENOENT) {
      const text = cmd.includes("/") ? `stat ${cmd}: no such file or directory` : "executable file not found in $PATH";
      return new MydockerError("exec-not-found", `exec: "${cmd}": ${text}`, 127);
    }
    if (f.errno === EACCES || f.errno === ENOEXEC || f.errno === ENOTDIR) {
      return new MydockerError("exec-denied", `exec: "${cmd}": ${errnoText(f.errno)}`, 126);
    }
  }
  if (f.op === "publish" && step?.op === "publish" && f.errno === EADDRINUSE) return new PortInUseError(step.protocol, step.hostIp, step.hostPort);
  if (f.op === "chdir" && step?.op === "chdir") {
    return new MydockerError("container-setup", `chdir to cwd ("${step.dir}") set in config.json failed: ${errnoText(f.errno)}`);
  }
  const what = step?.op === f.op ? doing(step) : undefined;
  // The overlay record's own words name the call that failed (which fsconfig parameter) and the kernel's reason.
  const said = step?.op === "overlay" && f.message ? ` (${f.message})` : "";
  if (what) return new MydockerError("container-setup", `error ${what}: ${errnoText(f.errno)}${said}`);
  const detail = f.message ? `: ${f.message}` : "";
  return new MydockerError("container-setup", `container setup failed (${f.op}): ${errnoText(f.errno)} (${errnoName(f.errno)})${detail}`);
}
