// Reads and makes files of a container's root before it is mounted: the overlay is
// mounted only in the container's own mount namespace, so the engine looks through the
// layer directories the way overlayfs would (image/overlay-view.ts), by directory fds. A
// symlink in an image (or one a container made) is followed inside the container's root,
// never on the host.
import fs from "node:fs";
import path from "node:path";
import { MergedDir, canonicalInView, openDirAt, readFileInView } from "../image/overlay-view.js";
import { isErrno } from "../util/errors.js";
import { fdPath, openDir } from "../util/fsat.js";

/** Beyond any /etc/passwd or /etc/group. */
const MaxFileBytes = 16 << 20;

export function readLayeredFile(layerDirs: string[], file: string): string | undefined {
  return readFileInView(layerDirs, file, MaxFileBytes)?.toString("utf8");
}

/** Whether dir is missing from the view, without following a symlink on its way. */
function missingInView(layerDirs: string[], parts: string[]): boolean {
  let dir = MergedDir.open(layerDirs);
  try {
    for (const part of parts) {
      const found = dir.lookup(part);
      if (found === undefined) return true;
      const child = found.st.isDirectory() ? dir.child(part, found.index) : undefined;
      if (child === undefined) return false;
      dir.close();
      dir = child;
    }
    return false;
  } finally {
    dir.close();
  }
}

/**
 * Makes a missing working directory in the container's own layer, as docker does, where
 * the image's symlinks lead (-w /var/run/app with /var/run -> /run makes /run/app): they
 * are resolved inside the view first. Gives up (and lets the runtime report it) where a
 * component is still a symlink or not a directory (a link changed meanwhile): following a
 * link from the host could write outside the container.
 */
export function ensureLayeredDir(layerDirs: string[], dir: string): void {
  const [own] = layerDirs;
  const parts = canonicalInView(layerDirs, path.posix.resolve("/", dir)).split("/").filter((p) => p !== "");
  if (!own || !missingInView(layerDirs, parts)) return;
  let fd = openDir(own);
  try {
    for (const part of parts) {
      let next = openDirAt(fd, part);
      if (next === undefined) {
        try {
          fs.mkdirSync(fdPath(fd, part), { mode: 0o755 });
        } catch (e) {
          if (!isErrno(e, "EEXIST")) throw e;
        }
        next = openDirAt(fd, part);
        if (next === undefined) return;
      }
      fs.closeSync(fd);
      fd = next;
    }
  } finally {
    fs.closeSync(fd);
  }
}
