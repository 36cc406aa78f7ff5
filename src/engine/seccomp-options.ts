// docker's --security-opt values: which ones the engine takes, and the seccomp filter they
// give a container. As docker's API, a profile travels as its JSON (`seccomp=<json>`): the
// command line reads the file, so a container keeps its profile when the file changes.
import type { LinuxSeccomp } from "../spec/runtime.js";
import { MydockerError } from "../util/errors.js";
import { DEFAULT_SECCOMP_PROFILE } from "./seccomp-default.js";
import { evaluateProfile, parseSeccompProfile, thisHost } from "./seccomp-profile.js";

/**
 * Accepted without effect: they lift confinement mydocker does not apply (no AppArmor,
 * no SELinux labels), so a command line written for docker runs unchanged.
 */
const NO_OPS: ReadonlySet<string> = new Set(["apparmor=unconfined", "apparmor:unconfined", "label=disable", "label:disable"]);

const NO_NEW_PRIVILEGES = /^no-new-privileges([:=](true|false))?$/;

function seccompValue(opt: string): string | undefined {
  return opt.startsWith("seccomp=") ? opt.slice("seccomp=".length) : undefined;
}

/** Refuses what the engine does not know, and a profile that is not a valid one, before anything is made. */
export function checkSecurityOpts(opts: readonly string[]): void {
  for (const opt of opts) {
    const seccomp = seccompValue(opt);
    if (seccomp !== undefined) {
      if (seccomp !== "unconfined") parseSeccompProfile(seccomp);
    } else if (!NO_NEW_PRIVILEGES.test(opt) && !NO_OPS.has(opt)) {
      throw new MydockerError(
        "EINVAL",
        `invalid --security-opt: ${opt}: use no-new-privileges, seccomp=unconfined, seccomp=PROFILE.json (or apparmor=unconfined, label=disable, which change nothing here)`,
      );
    }
  }
}

export function noNewPrivileges(opts: readonly string[]): boolean {
  const last = opts.filter((o) => NO_NEW_PRIVILEGES.test(o)).pop();
  return last !== undefined && !last.endsWith("false");
}

/** The container's filter: docker's default profile unless --privileged or seccomp=unconfined. */
export function seccompFor(opts: readonly string[], privileged: boolean, bounding: readonly string[]): LinuxSeccomp | undefined {
  if (privileged) return undefined;
  const value = opts.map(seccompValue).filter((v) => v !== undefined).pop();
  if (value === "unconfined") return undefined;
  const profile = value === undefined ? DEFAULT_SECCOMP_PROFILE : parseSeccompProfile(value);
  return evaluateProfile(profile, thisHost(bounding));
}
