// What a directory tree holds on disk, by apparent size (as docker's reclaimed space counts it).
// Walked through directory fds: a container's layer or a volume is never a way to the host's files.
import fs from "node:fs";
import { lstatAt, openDirAt } from "../image/overlay-view.js";
import { fdPath, openDir } from "../util/fsat.js";

function sizeBelow(dirfd: number): number {
  let sum = 0;
  for (const name of fs.readdirSync(fdPath(dirfd, ""))) {
    const st = lstatAt(dirfd, name);
    if (st === undefined) continue;
    sum += st.size;
    const sub = st.isDirectory() ? openDirAt(dirfd, name) : undefined;
    if (sub === undefined) continue;
    try {
      sum += sizeBelow(sub);
    } finally {
      fs.closeSync(sub);
    }
  }
  return sum;
}

export function treeSize(p: string): number {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  const fd = openDir(p);
  try {
    return st.size + sizeBelow(fd);
  } finally {
    fs.closeSync(fd);
  }
}
