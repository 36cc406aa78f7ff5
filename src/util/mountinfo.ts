// /proc/self/mountinfo read line by line, stopping once the caller has what it needs. The
// kernel renders the file as it is read: where there are many mounts (a Kubernetes node,
// a shared build machine: ~500 here) the whole file costs ~10 ms of CPU, which myrunc
// paid on every call containerd makes. What a runtime looks for (the root, the cgroup
// mounts made at boot) is near the top.
import fs from "node:fs";

const CHUNK = 16 * 1024;

/** Calls visit with each line, in order, until it returns true or the file ends. */
export function scanMountinfo(visit: (line: string) => boolean | void, file = "/proc/self/mountinfo"): void {
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let rest = "";
    for (;;) {
      const n = fs.readSync(fd, buf, 0, CHUNK, null);
      const text = rest + buf.toString("utf8", 0, n);
      const lines = text.split("\n");
      // At the end the last piece is a whole line (or empty); before it, it may be cut.
      rest = n === 0 ? "" : (lines.pop() ?? "");
      for (const line of lines) if (line && visit(line)) return;
      if (n === 0) return;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** A line's mount point (field 5), with mountinfo's \ooo escapes of space, tab, newline and backslash undone. */
export function mountPointOf(line: string): string {
  return (line.split(" ")[4] ?? "").replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}
