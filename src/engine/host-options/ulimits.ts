// docker's --ulimit NAME=SOFT[:HARD] (go-units ParseUlimit) and its rlimits in the spec.
import type { Rlimit } from "../../spec/runtime.js";
import { FlagError } from "../../util/errors.js";
import type { Ulimit } from "../container-config.js";

/** The names docker takes, each an RLIMIT_* of the same name. */
const NAMES = new Set([
  "as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack",
]);

function bad(text: string, why: string): never {
  throw new FlagError("EINVAL", `invalid argument "${text}" for "--ulimit" flag: ${why}`);
}

function limit(text: string, value: string): number {
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) bad(text, `invalid ulimit argument: ${value}`);
  return Number(value);
}

export function parseUlimit(text: string): Ulimit {
  const eq = text.indexOf("=");
  if (eq < 0) bad(text, `invalid ulimit argument: ${text}`);
  const name = text.slice(0, eq);
  if (!NAMES.has(name)) bad(text, `invalid ulimit type: ${name}`);
  const parts = text.slice(eq + 1).split(":");
  if (parts.length > 2) bad(text, `too many limit value arguments - ${text.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const soft = limit(text, parts[0]!);
  const hard = parts.length === 2 ? limit(text, parts[1]!) : soft;
  // -1 is "unlimited" (RLIM_INFINITY), larger than any number.
  if (hard !== -1 && (soft === -1 || soft > hard)) bad(text, `ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Soft: soft, Hard: hard };
}

/** A ulimit as an API request gives it: checked as the flag is. */
export function checkUlimit(u: Ulimit): Ulimit {
  const text = `${u.Name}=${u.Soft}:${u.Hard}`;
  if (!NAMES.has(u.Name)) bad(text, `invalid ulimit type: ${u.Name}`);
  if (!Number.isSafeInteger(u.Soft) || !Number.isSafeInteger(u.Hard)) bad(text, "the limits must be integers");
  if (u.Hard !== -1 && (u.Soft === -1 || u.Soft > u.Hard)) bad(text, `ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
  return u;
}

/** Later ones of the same name win, as docker's map of them. */
export function ulimitRlimits(ulimits: readonly Ulimit[], base: readonly Rlimit[]): Rlimit[] {
  const byType = new Map(base.map((r) => [r.type, r]));
  const value = (n: number) => (n < 0 ? 2 ** 64 - 1 : n);
  for (const u of ulimits) {
    const type = `RLIMIT_${u.Name.toUpperCase()}`;
    byType.set(type, { type, soft: value(u.Soft), hard: value(u.Hard) });
  }
  return [...byType.values()];
}
