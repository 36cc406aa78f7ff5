// Validates the OCI spec's linux.seccomp: every fault is refused with its JSON path, before
// anything is started. Syscall names are not checked here: a name this host's tables do
// not know is left out of the filter (as runc and libseccomp do), not an error.
import type { LinuxSeccomp, LinuxSeccompArg, LinuxSyscall, SeccompAction, SeccompOperator } from "../spec/runtime.js";
import { compact, type JsonReader } from "./json-reader.js";
import { FOREIGN_ARCHES, SECCOMP_ARCHES } from "./seccomp-arch.js";

export const SECCOMP_ACTIONS: readonly SeccompAction[] = [
  "SCMP_ACT_KILL",
  "SCMP_ACT_KILL_PROCESS",
  "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_TRAP",
  "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE",
  "SCMP_ACT_ALLOW",
  "SCMP_ACT_LOG",
];

export const SECCOMP_OPERATORS: readonly SeccompOperator[] = [
  "SCMP_CMP_NE",
  "SCMP_CMP_LT",
  "SCMP_CMP_LE",
  "SCMP_CMP_EQ",
  "SCMP_CMP_GE",
  "SCMP_CMP_GT",
  "SCMP_CMP_MASKED_EQ",
];

/** The seccomp(2) flags a filter may ask for (SECCOMP_FILTER_FLAG_*). */
export const SECCOMP_FLAGS: ReadonlyMap<string, number> = new Map([
  ["SECCOMP_FILTER_FLAG_TSYNC", 1],
  ["SECCOMP_FILTER_FLAG_LOG", 2],
  ["SECCOMP_FILTER_FLAG_SPEC_ALLOW", 4],
]);

const ERRNO_MAX = 0xffff;
const UINT64_MAX = 2 ** 64 - 1;

export function readSeccompAction(r: JsonReader, v: unknown, path: string): SeccompAction {
  const s = r.string(v, path);
  if (s === "SCMP_ACT_NOTIFY") r.fail(path, "SCMP_ACT_NOTIFY is not supported (no seccomp listener)");
  return r.oneOf(s, path, SECCOMP_ACTIONS);
}

/** errnoRet goes with an action that returns an error: ERRNO, or TRACE when no tracer is there. */
export function checkErrnoRet(r: JsonReader, action: SeccompAction, errnoRet: number | undefined, path: string): void {
  if (errnoRet !== undefined && action !== "SCMP_ACT_ERRNO" && action !== "SCMP_ACT_TRACE") {
    r.fail(path, `is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not ${action}`);
  }
}

export function readSeccompArg(r: JsonReader, v: unknown, path: string): LinuxSeccompArg {
  const o = r.object(v, path);
  const u64 = (x: unknown, p: string) => r.integer(x, p, 0, UINT64_MAX);
  return compact({
    index: r.required(o, "index", path, (x, p) => r.integer(x, p, 0, 5)),
    value: r.required(o, "value", path, u64),
    valueTwo: r.optional(o, "valueTwo", path, u64),
    op: r.required(o, "op", path, (x, p) => r.oneOf(x, p, SECCOMP_OPERATORS)),
  });
}

export function readSeccompFlags(r: JsonReader, v: unknown, path: string): string[] {
  return r.list(v, path, (e, q) => r.oneOf(e, q, [...SECCOMP_FLAGS.keys()]));
}

function readSyscall(r: JsonReader, v: unknown, path: string): LinuxSyscall {
  const o = r.object(v, path);
  const names = r.required(o, "names", path, (x, p) => r.strings(x, p));
  if (names.length === 0) r.fail(`${path}.names`, "must not be empty");
  const action = r.required(o, "action", path, (x, p) => readSeccompAction(r, x, p));
  const errnoRet = r.optional(o, "errnoRet", path, (x, p) => r.integer(x, p, 0, ERRNO_MAX));
  checkErrnoRet(r, action, errnoRet, `${path}.errnoRet`);
  return compact({
    names,
    action,
    errnoRet,
    args: r.optional(o, "args", path, (x, p) => r.list(x, p, (e, q) => readSeccompArg(r, e, q))),
  });
}

export function readSeccomp(r: JsonReader, v: unknown, path: string): LinuxSeccomp {
  const o = r.object(v, path);
  if (o["listenerPath"]) r.fail(`${path}.listenerPath`, "a seccomp listener is not supported");
  const defaultAction = r.required(o, "defaultAction", path, (x, p) => readSeccompAction(r, x, p));
  const defaultErrnoRet = r.optional(o, "defaultErrnoRet", path, (x, p) => r.integer(x, p, 0, ERRNO_MAX));
  checkErrnoRet(r, defaultAction, defaultErrnoRet, `${path}.defaultErrnoRet`);
  return compact({
    defaultAction,
    defaultErrnoRet,
    architectures: r.optional(o, "architectures", path, (x, p) =>
      r.list(x, p, (e, q) => {
        const s = r.string(e, q);
        if (!SECCOMP_ARCHES.has(s) && !FOREIGN_ARCHES.has(s)) r.fail(q, `unknown architecture "${s}"`);
        return s;
      }),
    ),
    flags: r.optional(o, "flags", path, (x, p) => readSeccompFlags(r, x, p)),
    syscalls: r.optional(o, "syscalls", path, (x, p) => r.list(x, p, (e, q) => readSyscall(r, e, q))),
  });
}
