// Directories that hold one subdirectory per container (the run root, its .net and .etc, the
// engine's containers/): unrelated trees, made and removed all the time. ext4 puts a new
// directory in its parent's block group unless the parent is marked the top of a hierarchy
// (FS_TOPDIR_FL, `chattr +T`), when it spreads its subdirectories over the groups as it does
// those of /. Without a journal, ext4 gives out no inode freed in the last minutes and scans
// past each one from the start of the group: with every container's files made and removed
// in one group, that scan was ~30% of `mydocker serve`'s CPU in a burst of 20 runs
// (docs/benchmarks.md). A hint only: a file system without the flag goes on as before.
import fs from "node:fs";
import { spreadSubdirs } from "./fsat.js";

/**
 * Makes dir (and its parents) if missing, with mode, and marks it to spread its
 * subdirectories; a directory that was there already (a root the caller named) is not ours
 * to change, and is left as it is.
 */
export function makeSpreadDir(dir: string, mode: number): void {
  if (fs.mkdirSync(dir, { recursive: true, mode }) === undefined) return;
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    spreadSubdirs(fd);
  } catch {
    // A file system that will not take the flag: only slower.
  } finally {
    fs.closeSync(fd);
  }
}
