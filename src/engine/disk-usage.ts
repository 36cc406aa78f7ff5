// What a directory tree holds on disk, by apparent size (as docker's reclaimed space counts it).
import fs from "node:fs";
import path from "node:path";

export function treeSize(p: string): number {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  return fs.readdirSync(p).reduce((sum, name) => sum + treeSize(path.join(p, name)), st.size);
}
