// Whether a run's network namespace can serve another container after it, as the pool's
// entries do, instead of being torn down and a new one set up: only when nothing the run could
// do has changed it or outlives it. A namespace is changed by CAP_NET_ADMIN (addresses, routes,
// firewall), by writing its sysctls (root can, where /proc/sys is writable: CAP_SYS_ADMIN
// remounts it, a bind of /proc exposes it, or the spec sets them), and by hooks, which run
// with the host's privileges. It is outlived by a process that is not killed with the
// container's init: only a PID namespace of the container's own guarantees that (the kernel
// reaps every process in it before the init's exit is seen), and a container that joins this
// one's namespace (--network container:) is checked where it joins. And it is outlived by a
// socket of its own that a process passed to another container through a unix socket they
// share: a directory bound into both (a volume, a bind) or a /dev/shm they share (--ipc, whose
// mode the caller checks); a bound regular file (the generated /etc files, --init) is no way.
import fs from "node:fs";
import type { Spec } from "../../spec/runtime.js";

const NAMESPACE_CHANGERS = new Set(["CAP_NET_ADMIN", "CAP_SYS_ADMIN"]);

export function specLeavesNetnsClean(spec: Spec): boolean {
  const caps = spec.process?.capabilities ?? {};
  const sets = [caps.bounding, caps.effective, caps.permitted, caps.inheritable, caps.ambient];
  if (sets.some((s) => (s ?? []).some((c) => NAMESPACE_CHANGERS.has(c.toUpperCase())))) return false;
  const linux = spec.linux ?? {};
  if (!(linux.readonlyPaths ?? []).includes("/proc/sys")) return false;
  if (Object.keys(linux.sysctl ?? {}).some((k) => k.startsWith("net."))) return false;
  if (!(linux.namespaces ?? []).some((ns) => ns.type === "pid" && ns.path === undefined)) return false;
  if (Object.values(spec.hooks ?? {}).some((list) => (list ?? []).length > 0)) return false;
  // /proc mounted once, where the runtime applies readonlyPaths; no other view of it or of /sys.
  const mounts = spec.mounts ?? [];
  const exposes = (m: (typeof mounts)[number]) =>
    (m.type === "proc" && m.destination !== "/proc") || (/^\/(proc|sys)(\/|$)/.test(m.source ?? "") && m.type !== "proc" && m.type !== "sysfs");
  const isBind = (m: (typeof mounts)[number]) => m.type === "bind" || (m.options ?? []).some((o) => o === "bind" || o === "rbind");
  const shares = (m: (typeof mounts)[number]) => isBind(m) && fs.statSync(m.source ?? "", { throwIfNoEntry: false })?.isFile() !== true;
  return !mounts.some((m) => exposes(m) || shares(m));
}
