// Recursive removal without fs.rmSync: Node 20 implements that in a module of its own
// (internal/fs/rimraf) compiled on first use (~3 ms of a command's start), and it lstat()s
// every entry where the directory listing already says what each one is.
import fs from "node:fs";
import path from "node:path";
import { isErrno } from "./errors.js";

/**
 * Removes dir and everything below it (symlinks themselves, never their targets). Like
 * rmSync's force: what is already gone is fine, another command may be removing it too.
 */
export function removeTree(dir: string): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if (isErrno(e, "ENOTDIR")) return ignoreMissing(() => fs.unlinkSync(dir));
    if (isErrno(e, "ENOENT")) return;
    throw e;
  }
  for (const entry of entries) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) removeTree(p);
    else ignoreMissing(() => fs.unlinkSync(p));
  }
  ignoreMissing(() => fs.rmdirSync(dir));
}

function ignoreMissing(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!isErrno(e, "ENOENT")) throw e;
  }
}
