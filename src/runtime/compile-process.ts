// The steps that set up the process itself; shared by a container's init and by exec.
import type { Process } from "../spec/runtime.js";
import type { ChildStep } from "./plan.js";
import { capabilityMask } from "./capabilities.js";
import { DEFAULT_PATH } from "./defaults.js";
import { RLIM_INFINITY } from "./linux.js";
import { RLIMITS } from "./rlimits.js";
import type { SeccompFilter } from "./seccomp-compile.js";

/** JSON cannot carry 2^64-1 exactly: anything at or past 2^64-1 is "unlimited". */
function rlimitValue(n: number): bigint {
  return n >= 2 ** 64 - 1 ? RLIM_INFINITY : BigInt(n);
}

export function rlimitSteps(process: Process): ChildStep[] {
  return (process.rlimits ?? []).map((l) => ({
    op: "rlimit",
    resource: RLIMITS.get(l.type) as number,
    soft: rlimitValue(l.soft),
    hard: rlimitValue(l.hard),
  }));
}

/**
 * A session keyring of its own (as runc, for exec too: keys are not namespaced), setsid,
 * then the terminal: the console needs a session of its own. A new container binds its
 * pty onto /dev/console; an exec leaves the container's console alone.
 */
export function sessionSteps(process: Process, consolePath: string): ChildStep[] {
  const session: ChildStep[] = [{ op: "keyring" }, { op: "setsid" }];
  if (!process.terminal) return session;
  const size = process.consoleSize;
  // A spec's size wins over the caller's terminal's (containerd and conmon have none).
  const sized: ChildStep[] = size && size.height > 0 && size.width > 0 ? [{ op: "consolesize", rows: size.height, cols: size.width }] : [];
  return [...session, { op: "console", consolePath }, ...sized];
}

/**
 * The AppArmor profile for exec (where the host has AppArmor), then:
 * drop the bounding set while still privileged, switch user keeping capabilities, set the
 * final sets, then the rest: no_new_privs, cwd (as the user, like runc), env, exec.
 * Capabilities the running kernel does not know (above lastCap) are left out.
 * The seccomp filter comes as late as it can, so that few of our own calls must pass it:
 * right before exec after no_new_privs; without no_new_privs, installing one needs
 * CAP_SYS_ADMIN, so before anything is dropped (as runc).
 */
export function finalSteps(process: Process, lastCap: number, seccomp?: SeccompFilter, appArmor?: boolean): ChildStep[] {
  const filter: ChildStep[] = seccomp ? [{ op: "seccomp", ...seccomp }] : [];
  // The profile takes effect at exec; asked for while nothing is dropped yet (as runc).
  const steps: ChildStep[] = appArmor && process.apparmorProfile ? [{ op: "apparmor", profile: process.apparmorProfile }] : [];
  if (!process.noNewPrivileges) steps.push(...filter);
  const caps = process.capabilities;
  const known = (1n << BigInt(lastCap + 1)) - 1n;
  const mask = (names: readonly string[] | undefined) => capabilityMask(names) & known;
  if (caps) steps.push({ op: "bounding", mask: mask(caps.bounding), lastCap });
  steps.push({ op: "user", uid: process.user.uid, gid: process.user.gid, additionalGids: process.user.additionalGids ?? [] });
  if (caps) {
    const permitted = mask(caps.permitted);
    const inheritable = mask(caps.inheritable);
    // The kernel raises an ambient capability only if it is permitted and inheritable; runc
    // silently ends up without the others (as `runc spec`'s own config asks), so do we.
    const ambient = mask(caps.ambient) & permitted & inheritable;
    steps.push({ op: "caps", effective: mask(caps.effective), permitted, inheritable, ambient });
  }
  if (process.noNewPrivileges) steps.push({ op: "nonewprivs" });
  // runc's default: the process must not inherit whatever umask its caller happened to have.
  steps.push({ op: "umask", mask: process.user.umask ?? 0o022 });
  steps.push({ op: "chdir", dir: process.cwd });
  const env = process.env ?? [];
  for (const entry of env) steps.push({ op: "env", entry });
  if (process.noNewPrivileges) steps.push(...filter);
  steps.push({ op: "exec", searchPath: searchPath(env), argv: process.args ?? [] });
  return steps;
}

/** The PATH exec searches: the process's own (the last one wins, as in a shell). */
export function searchPath(env: readonly string[]): string {
  const entry = env.filter((e) => e.startsWith("PATH=")).pop();
  return entry === undefined ? DEFAULT_PATH : entry.slice("PATH=".length);
}
