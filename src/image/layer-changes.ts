// docker diff: what a container's upper directory changed over its image's layers — A an
// added path, C a changed one, D a deleted one — as docker's overlay2 driver reports them.
// The upper directory belongs to a container that may be running: it is read through
// directory fds (overlay-view.ts), never by following its paths.
import fs from "node:fs";
import { fdPath } from "../util/fsat.js";
import { isOpaque, isWhiteout, lstatAt, MergedDir } from "./overlay-view.js";

export interface Change {
  Path: string;
  /** docker's numbers: 0 changed, 1 added, 2 deleted. */
  Kind: 0 | 1 | 2;
}

const KIND = { C: 0, A: 1, D: 2 } as const;

/** Bounded: a container's tree is its own to make as deep as it likes. */
const MAX_DEPTH = 512;

function walk(upper: number, lower: MergedDir | undefined, dir: string, out: Change[], depth: number): void {
  if (depth > MAX_DEPTH) return;
  for (const name of fs.readdirSync(fdPath(upper, "")).sort()) {
    const st = lstatAt(upper, name);
    if (st === undefined) continue;
    const p = `${dir}/${name}`;
    if (isWhiteout(st)) {
      out.push({ Path: p, Kind: KIND.D });
      continue;
    }
    const below = lower?.lookup(name);
    out.push({ Path: p, Kind: below ? KIND.C : KIND.A });
    if (!st.isDirectory()) continue;
    let child: number;
    try {
      child = fs.openSync(fdPath(upper, name), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
    } catch {
      // Swapped for something else, or removed, while it was read.
      continue;
    }
    const lowerChild = below?.st.isDirectory() && !isOpaque(child, "") ? lower!.child(name, below.index) : undefined;
    try {
      walk(child, lowerChild, p, out, depth + 1);
    } finally {
      fs.closeSync(child);
      lowerChild?.close();
    }
  }
}

/** The changes of upperDir over lowerDirs (the image's layers, topmost first), sorted by path. */
export function layerChanges(upperDir: string, lowerDirs: readonly string[]): Change[] {
  const out: Change[] = [];
  const upper = MergedDir.open([upperDir]);
  const lower = lowerDirs.length ? MergedDir.open(lowerDirs) : undefined;
  try {
    walk(upper.fds[0]!, lower, "", out, 0);
  } finally {
    upper.close();
    lower?.close();
  }
  return out.sort((a, b) => (a.Path < b.Path ? -1 : a.Path > b.Path ? 1 : 0));
}
