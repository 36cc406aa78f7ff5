// Which sysctls a container may set: only those of a namespace it owns (as runc allows).
import type { NamespaceType } from "../spec/runtime.js";

const IPC_SYSCTLS = new Set([
  "kernel.msgmax",
  "kernel.msgmnb",
  "kernel.msgmni",
  "kernel.sem",
  "kernel.shmall",
  "kernel.shmmax",
  "kernel.shmmni",
  "kernel.shm_rmid_forced",
]);

/** Returns why key may not be set, or undefined when it may. */
export function checkSysctl(key: string, hasNamespace: (t: NamespaceType) => boolean): string | undefined {
  if (IPC_SYSCTLS.has(key) || key.startsWith("fs.mqueue.")) {
    return hasNamespace("ipc") ? undefined : "requires an ipc namespace";
  }
  if (key.startsWith("net.")) return hasNamespace("network") ? undefined : "requires a network namespace";
  if (key === "kernel.hostname" || key === "kernel.domainname") {
    return hasNamespace("uts") ? undefined : "requires a uts namespace";
  }
  return "is not namespaced: it would change the host";
}
