// What the host's own root allows a container's root to be entered with.
import fs from "node:fs";

/**
 * pivot_root cannot move the root of an initramfs (the kernel's rootfs): containers on
 * such a host switch roots with chroot instead.
 */
export function hostRootIsInitramfs(mountinfo = "/proc/self/mountinfo"): boolean {
  const root = fs
    .readFileSync(mountinfo, "utf8")
    .split("\n")
    .find((l) => l.split(" ")[4] === "/");
  const fstype = root?.split(" - ")[1]?.split(" ")[0];
  return fstype === "rootfs" || fstype === "ramfs";
}
