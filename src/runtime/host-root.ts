// What the host's own root allows a container's root to be entered with.
import fs from "node:fs";
import { mountPointOf, scanMountinfo } from "../util/mountinfo.js";

const RAMFS_MAGIC = 0x858458f6;
const TMPFS_MAGIC = 0x01021994;

/**
 * pivot_root cannot move the root of an initramfs (the kernel's rootfs): containers on
 * such a host switch roots with chroot instead. Only a root on ramfs or tmpfs can be one:
 * any other is known from one statfs, without mountinfo.
 */
export function hostRootIsInitramfs(): boolean {
  const type = fs.statfsSync("/").type;
  return (type === RAMFS_MAGIC || type === TMPFS_MAGIC) && mountinfoRootIsInitramfs();
}

/** Whether mountinfo's "/" is the kernel's rootfs (or a ramfs). */
export function mountinfoRootIsInitramfs(mountinfo = "/proc/self/mountinfo"): boolean {
  let fstype: string | undefined;
  scanMountinfo((line) => {
    if (mountPointOf(line) !== "/") return false;
    fstype = line.split(" - ")[1]?.split(" ")[0];
    return true;
  }, mountinfo);
  return fstype === "rootfs" || fstype === "ramfs";
}
