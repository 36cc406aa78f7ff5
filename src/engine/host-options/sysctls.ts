// docker's --sysctl: only the namespaced sysctls docker allows (opts.ValidateSysctl), and
// only for a namespace the container owns.
import { checkSysctl } from "../../runtime/index.js";
import type { NamespaceType } from "../../spec/runtime.js";
import { FlagError, MydockerError } from "../../util/errors.js";

const ALLOWED = new Set(["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"]);
const ALLOWED_PREFIXES = ["fs.mqueue.", "net."];

function allowed(key: string): boolean {
  return ALLOWED.has(key) || ALLOWED_PREFIXES.some((p) => key.startsWith(p) && key.length > p.length);
}

/** `KEY=VALUE` flags as docker's map of them. */
export function parseSysctls(flags: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of flags) {
    const eq = f.indexOf("=");
    const key = eq < 0 ? f : f.slice(0, eq);
    if (eq < 0 || !allowed(key)) throw new FlagError("EINVAL", `invalid argument "${f}" for "--sysctl" flag: sysctl '${f}' is not allowed`);
    out[key] = f.slice(eq + 1);
  }
  // Sorted, as docker's map prints.
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Checked against the container's own namespaces, at create: a host namespace's sysctl is the host's. */
export function checkSysctls(sysctls: Record<string, string>, ownsNamespace: (t: NamespaceType) => boolean): void {
  for (const [key, value] of Object.entries(sysctls)) {
    if (!allowed(key)) throw new MydockerError("EINVAL", `sysctl '${key}=${value}' is not allowed: only docker's namespaced ones (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.*)`);
    const why = checkSysctl(key, ownsNamespace);
    if (why) throw new MydockerError("EINVAL", `sysctl ${key} cannot be set: it ${why} of the container's own (not --ipc/--network/--uts host)`);
  }
}
