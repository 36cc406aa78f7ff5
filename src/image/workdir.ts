// Work happens in a private directory under <root>/tmp and is renamed into place only
// once verified, so an interrupted command leaves the store as it was. The directory
// name carries the owner's pid: leftovers of dead processes are swept by the next command.
import { crypto } from "../util/lazy-require.js";
import fs from "node:fs";
import path from "node:path";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function tmpRoot(root: string): string {
  return path.join(root, "tmp");
}

export function makeWorkDir(root: string): string {
  const dir = path.join(tmpRoot(root), `${process.pid}-${crypto().randomBytes(6).toString("hex")}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export function removeWorkDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Removes the work directories of processes that are gone. */
export function sweepWorkDirs(root: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(tmpRoot(root));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(name.split("-")[0]);
    const owned = Number.isInteger(pid) && pid > 0 && (pid === process.pid || alive(pid));
    if (!owned) removeWorkDir(path.join(tmpRoot(root), name));
  }
}
