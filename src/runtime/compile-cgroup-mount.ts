// The container's /sys/fs/cgroup (an OCI mount of type "cgroup"): its own cgroups, as runc
// shows them. In a cgroup namespace a fresh mount of each hierarchy is rooted at the
// container's cgroup; without one, a fresh mount would show the host's whole tree, so the
// container's own directories are bound instead.
import path from "node:path";
import type { CgroupHierarchy } from "../cgroups/types.js";
import type { ChildStep } from "./plan.js";
import * as L from "./linux.js";

interface CgroupMountOptions {
  /** Absolute host path of the rootfs. */
  root: string;
  /** The hierarchies the container has a cgroup in; none (the runtime manages no cgroups): an empty tmpfs. */
  hierarchies?: readonly CgroupHierarchy[];
  /** The container has a cgroup namespace of its own (or joins one). */
  namespaced: boolean;
}

function mountStep(source: string, root: string, dest: string, fstype: string, flags: number, data: string, mkdir: "dir" | "none"): ChildStep {
  return { op: "mount", source, root, path: dest, fstype, flags, data, mkdir };
}

/** One hierarchy at dest, with the mount's flags (read-only unless the spec says rw). */
function hierarchySteps(h: CgroupHierarchy, dest: string, flags: number, o: CgroupMountOptions): ChildStep[] {
  if (o.namespaced) return [mountStep(h.fstype, o.root, dest, h.fstype, flags, h.data, "dir")];
  // A bind ignores every flag but MS_REC: read-only and the rest take a remount.
  return [
    mountStep(h.own, o.root, dest, "", L.MS_BIND, "", "dir"),
    mountStep("", o.root, dest, "", flags | L.MS_BIND | L.MS_REMOUNT, "", "none"),
  ];
}

/** The controllers of a co-mounted hierarchy ("cpu,cpuacct") get links to it, as runc makes them. */
function linkSteps(h: CgroupHierarchy, dest: string, root: string): ChildStep[] {
  if (h.fstype !== "cgroup") return [];
  const controllers = h.data.split(",").filter((c) => c !== "none" && !c.startsWith("name="));
  if (controllers.length < 2) return [];
  return controllers
    .filter((c) => c !== h.dir)
    .map((c): ChildStep => ({ op: "symlink", target: h.dir, root, path: path.posix.join(dest, c) }));
}

/**
 * mountFlags: the spec mount's own flags (MS_RDONLY from "ro"). A v2 host's one hierarchy
 * is mounted at dest itself; v1 and hybrid hosts get a tmpfs holding one mount per
 * hierarchy, made read-only after them like the hierarchies.
 */
export function cgroupMountSteps(dest: string, mountFlags: number, o: CgroupMountOptions): ChildStep[] {
  const flags = mountFlags | L.MS_NOSUID | L.MS_NOEXEC | L.MS_NODEV;
  const hierarchies = o.hierarchies ?? [];
  if (hierarchies.length === 0) return [mountStep("tmpfs", o.root, dest, "tmpfs", flags | L.MS_RDONLY, "mode=755", "dir")];
  const only = hierarchies[0] as CgroupHierarchy;
  if (hierarchies.length === 1 && only.dir === "") return hierarchySteps(only, dest, flags, o);
  const steps: ChildStep[] = [mountStep("tmpfs", o.root, dest, "tmpfs", flags & ~L.MS_RDONLY, "mode=755", "dir")];
  for (const h of hierarchies) steps.push(...hierarchySteps(h, path.posix.join(dest, h.dir), flags, o));
  for (const h of hierarchies) steps.push(...linkSteps(h, dest, o.root));
  if (flags & L.MS_RDONLY) steps.push(mountStep("", o.root, dest, "", flags | L.MS_BIND | L.MS_REMOUNT, "", "none"));
  return steps;
}
