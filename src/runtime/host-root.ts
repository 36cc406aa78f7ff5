// What the host's own root allows a container's root to be entered with.
import { mountPointOf, scanMountinfo } from "../util/mountinfo.js";

/**
 * pivot_root cannot move the root of an initramfs (the kernel's rootfs): containers on
 * such a host switch roots with chroot instead.
 */
export function hostRootIsInitramfs(mountinfo = "/proc/self/mountinfo"): boolean {
  let fstype: string | undefined;
  scanMountinfo((line) => {
    if (mountPointOf(line) !== "/") return false;
    fstype = line.split(" - ")[1]?.split(" ")[0];
    return true;
  }, mountinfo);
  return fstype === "rootfs" || fstype === "ramfs";
}
