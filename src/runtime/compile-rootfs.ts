// The steps that build the container's filesystem view, before and around pivot_root.
import path from "node:path";
import type { CgroupHierarchy } from "../cgroups/types.js";
import type { Device, Mount, Spec } from "../spec/runtime.js";
import type { ChildStep, MkdirMode } from "./plan.js";
import { cgroupMountSteps } from "./compile-cgroup-mount.js";
import { defaultDevices } from "./defaults.js";
import * as L from "./linux.js";
import { parseMountOptions, PROPAGATION_FLAGS } from "./mount-options.js";

/** The filesystem mounted as the container's root (the engine's overlay): one mount(2) call… */
export interface RootfsMountCall {
  source: string;
  fstype: string;
  data: string;
  /** The directory the call is made from: relative paths in data (short layer links) resolve there. */
  cwd?: string;
}

/** …or an overlay of any number of layers, each its own lowerdir+ (the overlay record). */
export interface RootfsOverlay {
  lower: string[];
  upper: string;
  work: string;
}

export type RootfsMount = RootfsMountCall | RootfsOverlay;

interface RootfsOptions {
  /** Absolute host path of the rootfs. */
  root: string;
  /** Resolves relative bind sources. */
  bundle: string;
  rootfsMount?: RootfsMount;
  noPivot?: boolean;
  /** The host's hierarchies, with the container's cgroup in each: what a "cgroup" mount shows. */
  cgroupHierarchies?: readonly CgroupHierarchy[];
  /** Whether a bind source is a file or a directory (decides what the mount point is made as). */
  sourceKind: (hostPath: string) => "file" | "dir";
}

function mountStep(source: string, root: string, dest: string, fstype: string, flags: number, data: string, mkdir: MkdirMode): ChildStep {
  return { op: "mount", source, root, path: dest, fstype, flags, data, mkdir };
}

/** Propagation of "/" first: nothing done in the container may reach the host. */
function propagationSteps(spec: Spec): ChildStep[] {
  const wanted = spec.linux?.rootfsPropagation ?? "rprivate";
  const shared = wanted === "shared" || wanted === "rshared";
  // pivot_root refuses a shared parent: make it private now and share "/" after the pivot.
  const flags = shared ? L.MS_PRIVATE | L.MS_REC : (PROPAGATION_FLAGS.get(wanted) as number);
  return [mountStep("", "", "/", "", flags, "", "none")];
}

function afterPivotPropagationSteps(spec: Spec): ChildStep[] {
  const wanted = spec.linux?.rootfsPropagation;
  if (wanted !== "shared" && wanted !== "rshared") return [];
  return [mountStep("", "", "/", "", PROPAGATION_FLAGS.get(wanted) as number, "", "none")];
}

/** The rootfs itself: the given filesystem, or a bind of the directory onto itself so pivot_root works. */
function rootfsSteps(o: RootfsOptions): ChildStep[] {
  const m = o.rootfsMount;
  if (m && "lower" in m) return [{ op: "overlay", target: o.root, upper: m.upper, work: m.work, lower: m.lower }];
  if (m) {
    const mount = mountStep(m.source, "", o.root, m.fstype, 0, m.data, "none");
    return m.cwd === undefined ? [mount] : [{ op: "chdir", dir: m.cwd }, mount];
  }
  return [mountStep(o.root, "", o.root, "", L.MS_BIND | L.MS_REC, "", "none")];
}

function isBind(m: Mount): boolean {
  return m.type === "bind" || (m.options ?? []).some((x) => x === "bind" || x === "rbind");
}

/** /proc/PID/root/REST: a path in another process's mount namespace (another container's /dev/shm). */
const FOREIGN_ROOT = /^\/proc\/([1-9][0-9]*)\/root(\/.*)?$/;

function bindStep(source: string, o: RootfsOptions, dest: string, flags: number): ChildStep {
  const foreign = FOREIGN_ROOT.exec(source);
  if (!foreign) return mountStep(source, o.root, dest, "", flags, "", o.sourceKind(source));
  const recursive = (flags & L.MS_REC) !== 0;
  return { op: "bindfrom", ns: `/proc/${foreign[1]}/ns/mnt`, source: foreign[2] ?? "/", recursive, root: o.root, path: dest, mkdir: o.sourceKind(source) };
}

function specMountSteps(m: Mount, o: RootfsOptions, spec?: Spec): ChildStep[] {
  const opts = parseMountOptions(m.options);
  const dest = m.destination;
  const steps: ChildStep[] = [];
  if (isBind(m)) {
    const source = path.resolve(o.bundle, m.source ?? "");
    const bindFlags = L.MS_BIND | (opts.flags & L.MS_REC);
    steps.push(bindStep(source, o, dest, bindFlags));
    // A bind ignores every other flag: they take a remount.
    if ((opts.flags & ~(L.MS_BIND | L.MS_REC | L.MS_REMOUNT)) !== 0) {
      steps.push(mountStep("", o.root, dest, "", opts.flags | L.MS_BIND | L.MS_REMOUNT, "", "none"));
    }
  } else if (m.type === "cgroup") {
    const namespaced = (spec?.linux?.namespaces ?? []).some((n) => n.type === "cgroup");
    steps.push(...cgroupMountSteps(dest, opts.flags, { root: o.root, hierarchies: o.cgroupHierarchies, namespaced }));
  } else {
    steps.push(mountStep(m.source ?? "", o.root, dest, m.type ?? "", opts.flags, opts.data, "dir"));
  }
  for (const flags of opts.propagation) steps.push(mountStep("", o.root, dest, "", flags, "", "none"));
  return steps;
}

const DEV_SYMLINKS: readonly [string, string][] = [
  ["/proc/self/fd", "/dev/fd"],
  ["/proc/self/fd/0", "/dev/stdin"],
  ["/proc/self/fd/1", "/dev/stdout"],
  ["/proc/self/fd/2", "/dev/stderr"],
  ["pts/ptmx", "/dev/ptmx"],
  ["/proc/kcore", "/dev/core"],
];

const DEVICE_TYPE_BITS: Record<Device["type"], number> = { c: L.S_IFCHR, u: L.S_IFCHR, b: L.S_IFBLK, p: L.S_IFIFO };

/**
 * The default devices plus the spec's (which win on the same path), but none where the
 * runtime makes a link: /dev/ptmx is the container's own devpts's, as in runc, even when
 * the spec lists the host's node (docker --privileged does).
 */
function devices(spec: Spec): Device[] {
  const byPath = new Map<string, Device>();
  for (const d of [...defaultDevices(), ...(spec.linux?.devices ?? [])]) byPath.set(d.path, d);
  for (const [, link] of DEV_SYMLINKS) byPath.delete(link);
  return [...byPath.values()];
}

/** Device nodes and /dev symlinks, unless /dev is bound from the host (then it is the host's business). */
function devSteps(spec: Spec, root: string): ChildStep[] {
  if ((spec.mounts ?? []).some((m) => m.destination === "/dev" && isBind(m))) return [];
  // In a user namespace (its own or a joined one) the container may not mknod: the host's nodes are bound, as runc does.
  const bind = (spec.linux?.namespaces ?? []).some((n) => n.type === "user");
  const steps: ChildStep[] = devices(spec).map((d): ChildStep => bind ? mountStep(d.path, root, d.path, "", L.MS_BIND, "", "file") : ({
    op: "mknod",
    root,
    path: d.path,
    mode: DEVICE_TYPE_BITS[d.type] | (d.fileMode ?? 0o666),
    major: d.major ?? 0,
    minor: d.minor ?? 0,
    uid: d.uid ?? 0,
    gid: d.gid ?? 0,
  }));
  for (const [target, link] of DEV_SYMLINKS) steps.push({ op: "symlink", target, root, path: link });
  return steps;
}

/** Everything from the rootfs mount to the pivot, in order. */
export function filesystemSteps(spec: Spec, o: RootfsOptions): ChildStep[] {
  return [
    ...propagationSteps(spec),
    ...rootfsSteps(o),
    ...(spec.mounts ?? []).flatMap((m) => specMountSteps(m, o, spec)),
    ...devSteps(spec, o.root),
    o.noPivot ? { op: "chroot", root: o.root } : { op: "pivot_root", root: o.root },
    ...afterPivotPropagationSteps(spec),
  ];
}

/**
 * The container's files alone, for a helper that works on a stopped container (cp): its
 * root and its bind mounts (volumes), no /proc, /dev or /sys, nothing written into it.
 */
export function filesOnlySteps(spec: Spec, o: RootfsOptions): ChildStep[] {
  return [
    mountStep("", "", "/", "", L.MS_PRIVATE | L.MS_REC, "", "none"),
    ...rootfsSteps(o),
    ...(spec.mounts ?? []).filter(isBind).flatMap((m) => specMountSteps(m, o)),
    o.noPivot ? { op: "chroot", root: o.root } : { op: "pivot_root", root: o.root },
  ];
}

/** How a masked path is hidden, as runc does: a directory under an empty read-only tmpfs, anything else under /dev/null. */
export function maskStep(path: string): ChildStep {
  return { op: "mask", path, dir: { source: "tmpfs", fstype: "tmpfs", flags: L.MS_RDONLY }, file: { source: "/dev/null", fstype: "", flags: L.MS_BIND } };
}

/** After the pivot: readonly and masked paths, then the root itself read-only. */
export function lockdownSteps(spec: Spec): ChildStep[] {
  const steps: ChildStep[] = [
    ...(spec.linux?.readonlyPaths ?? []).map((p): ChildStep => ({ op: "readonly", path: p })),
    ...(spec.linux?.maskedPaths ?? []).map(maskStep),
  ];
  if (spec.root?.readonly) steps.push(mountStep("", "", "/", "", L.MS_BIND | L.MS_REMOUNT | L.MS_RDONLY, "", "none"));
  return steps;
}
