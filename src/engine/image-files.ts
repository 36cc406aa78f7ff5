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
