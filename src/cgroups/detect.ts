// Chooses the cgroup driver from what the host mounts: v1 whenever v1 controllers are
// mounted (plain v1, or the hybrid layout, whose cgroup2 mount the v1 driver joins too
// though it sets no limits there), v2 when only the unified hierarchy exists.
import { readFileSync } from "node:fs";
import { release } from "node:os";
import { MydockerError } from "../util/errors.js";
import { mountPointOf, scanMountinfo } from "../util/mountinfo.js";
import type { CgroupDriver } from "./types.js";
import { V1Driver } from "./v1.js";
import { V2Driver } from "./v2.js";

export interface CgroupMounts {
  /** v1 subsystem ("memory", "cpu", "name=systemd", ...) -> its mount point. */
  v1: Record<string, string>;
  /** Mount point of the cgroup2 filesystem, if any. */
  unified?: string;
  /**
   * v1 mount point -> the hierarchy's flags ("xattr", ...): a mount of it asking for other
   * flags gets them ignored and a kernel warning each time.
   */
  v1Flags: Record<string, string[]>;
}

const V1_SUBSYSTEMS = new Set([
  "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "net_prio",
  "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc", "debug",
]);

const V1_ROOT_FLAGS = new Set(["xattr", "noprefix", "cpuset_v2_mode", "favordynmods"]);

/** Adds a mountinfo line's cgroup mount, if it is one; the first mount of each hierarchy wins. */
function addCgroupMount(mounts: CgroupMounts, line: string): void {
  const right = line.split(" - ")[1];
  if (!right) return;
  const [fstype, , superOptions = ""] = right.split(" ");
  if (fstype === "cgroup2") {
    mounts.unified ??= mountPointOf(line);
  } else if (fstype === "cgroup") {
    const mountPoint = mountPointOf(line);
    for (const opt of superOptions.split(",")) {
      if (V1_SUBSYSTEMS.has(opt) || opt.startsWith("name=")) mounts.v1[opt] ??= mountPoint;
      else if (V1_ROOT_FLAGS.has(opt)) (mounts.v1Flags[mountPoint] ??= []).push(opt);
    }
  }
}

export function parseCgroupMounts(mountinfo: string): CgroupMounts {
  const mounts: CgroupMounts = { v1: {}, v1Flags: {} };
  for (const line of mountinfo.split("\n")) addCgroupMount(mounts, line);
  return mounts;
}

/**
 * The hierarchies /proc/self/cgroup lists: each v1 one's subsystems ("cpu", "name=systemd"),
 * and whether the unified one ("0::") is there. Every mounted hierarchy is among them.
 */
function hierarchiesOf(procCgroup: string): { v1: string[]; unified: boolean } {
  const v1: string[] = [];
  let unified = false;
  for (const line of procCgroup.split("\n")) {
    const [id, subsystems = ""] = line.split(":");
    if (id === "0") unified = true;
    else if (id) v1.push(...subsystems.split(",").filter(Boolean));
  }
  return { v1, unified };
}

/**
 * The cgroup mounts of this mount namespace, reading mountinfo only until every hierarchy
 * the process is in has its (first) mount: the same answer as the whole file, since later
 * mounts of a hierarchy do not count.
 */
export function readCgroupMounts(mountinfoFile = "/proc/self/mountinfo", procCgroupFile = "/proc/self/cgroup"): CgroupMounts {
  const wanted = hierarchiesOf(readFileSync(procCgroupFile, "utf8"));
  const mounts: CgroupMounts = { v1: {}, v1Flags: {} };
  scanMountinfo((line) => {
    addCgroupMount(mounts, line);
    return (!wanted.unified || mounts.unified !== undefined) && wanted.v1.every((s) => mounts.v1[s] !== undefined);
  }, mountinfoFile);
  return mounts;
}

/** CLONE_INTO_CGROUP came with Linux 5.7. */
export function kernelClonesIntoCgroup(kernelRelease: string): boolean {
  const [major = 0, minor = 0] = kernelRelease.split(/[.-]/).map(Number);
  return major > 5 || (major === 5 && minor >= 7);
}

export function driverForMounts(mounts: CgroupMounts, kernelRelease = release()): CgroupDriver {
  const controllers = Object.keys(mounts.v1).filter((s) => !s.startsWith("name="));
  const cloneInto = kernelClonesIntoCgroup(kernelRelease);
  if (controllers.length > 0) return new V1Driver({ mounts: mounts.v1, flags: mounts.v1Flags, unified: mounts.unified, cloneInto });
  if (mounts.unified) return new V2Driver({ root: mounts.unified, cloneInto });
  throw new MydockerError("no_cgroups", "no cgroup filesystem is mounted (none in /proc/self/mountinfo)");
}

export function detectCgroupDriver(): CgroupDriver {
  return driverForMounts(readCgroupMounts());
}
