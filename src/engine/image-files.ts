// Reads a file of a container's root before it is mounted: the overlay is mounted only in
// the container's own mount namespace, so the engine looks through the layer directories
// the way overlayfs would (topmost first; a 0/0 character device is a whiteout).
import fs from "node:fs";
import path from "node:path";

export function readLayeredFile(layerDirs: string[], file: string): string | undefined {
  for (const dir of layerDirs) {
    const p = path.join(dir, file);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      continue;
    }
    if (st.isCharacterDevice() && st.rdev === 0) return undefined;
    if (!st.isFile()) return undefined;
    return fs.readFileSync(p, "utf8");
  }
  return undefined;
}

/**
 * Makes a missing working directory in the container's own layer, as docker does.
 * Gives up (and lets the runtime report it) where a path component is a symlink in any
 * layer: following a link from the host could write outside the container.
 */
export function ensureLayeredDir(layerDirs: string[], dir: string): void {
  const [own] = layerDirs;
  if (!own) return;
  const parts = path.posix.normalize(dir).split("/").filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const rel = parts.slice(0, i).join("/");
    let found: fs.Stats | undefined;
    for (const layer of layerDirs) {
      found = fs.lstatSync(path.join(layer, rel), { throwIfNoEntry: false });
      if (found) break;
    }
    if (!found) break;
    if (!found.isDirectory()) return;
    if (i === parts.length) return;
  }
  fs.mkdirSync(path.join(own, ...parts), { recursive: true, mode: 0o755 });
}

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
