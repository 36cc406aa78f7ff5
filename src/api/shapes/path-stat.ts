// docker's X-Docker-Container-Path-Stat header: base64 of a JSON object whose mode is Go's
// os.FileMode (the type in high bits, not st_mode's S_IF* values), which the CLI reads.
import type { PathStat } from "../../engine/containers/copy.js";

const S_IFMT = 0o170000;
/** st_mode file type -> Go's os.FileMode type bits. */
const GO_TYPE: Record<number, number> = {
  0o040000: 2 ** 31, // ModeDir
  0o120000: 2 ** 27, // ModeSymlink
  0o060000: 2 ** 26, // ModeDevice
  0o020000: 2 ** 26 + 2 ** 21, // ModeDevice | ModeCharDevice
  0o010000: 2 ** 25, // ModeNamedPipe
  0o140000: 2 ** 24, // ModeSocket
};

export function goFileMode(mode: number): number {
  let m = (mode & 0o777) + (GO_TYPE[mode & S_IFMT] ?? 0);
  if (mode & 0o4000) m += 2 ** 23; // ModeSetuid
  if (mode & 0o2000) m += 2 ** 22; // ModeSetgid
  if (mode & 0o1000) m += 2 ** 20; // ModeSticky
  return m;
}

export function pathStatHeader(s: PathStat): string {
  const json = { name: s.name, size: s.size, mode: goFileMode(s.mode), mtime: s.mtime.toISOString(), linkTarget: s.linkTarget };
  return Buffer.from(JSON.stringify(json)).toString("base64");
}
