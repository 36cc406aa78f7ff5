// --preserve-fds N: the caller's fds 3..3+N-1 go to the container's process, as runc passes
// them (systemd socket activation, a caller's pipes). Nothing past them ever does.
import { MydockerError } from "../util/errors.js";

/** The shim takes at most this many (docs/plan.md, `preservefds`). */
const MAX_PRESERVED = 1024;

/** The count to pass on; undefined for none. */
export function preservedFdCount(text: string): number | undefined {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n <= MAX_PRESERVED)) throw new MydockerError("invalid-flag", `invalid --preserve-fds "${text}": a number of fds from 0 to ${MAX_PRESERVED}`);
  return n === 0 ? undefined : n;
}
