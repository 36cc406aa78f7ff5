// OCI linux.seccomp -> a BPF program for seccomp(SECCOMP_SET_MODE_FILTER), with libseccomp's
// and runc's semantics where the spec leaves them open:
// - the host's own architecture is always in the filter; a call of an architecture not in
//   it kills the process (libseccomp's bad-architecture action);
// - a syscall name the architecture does not have is left out (libseccomp, runc);
// - a rule whose action is the default action is left out (runc);
// - conditions of one rule must all hold, unless two name the same argument: then each is a
//   rule of its own (runc);
// - the rules of one syscall are tried in the profile's order, the first that matches wins;
// - with a default action that refuses, a syscall numbered above every syscall the profile
//   names fails with ENOSYS, not the default (runc), so that a C library falls back from a
//   call newer than the profile (clone3, fchmodat2) to the one it replaced.
import type { LinuxSeccomp, LinuxSeccompArg, SeccompAction } from "../spec/runtime.js";
import { MydockerError } from "../util/errors.js";
import { Assembler, BPF_MAXINSNS, Label, type Insn } from "./seccomp-bpf.js";
import { SECCOMP_ARCHES, X32_SYSCALL_BIT, nativeSeccompArch, syscallNumbers, type SeccompArch } from "./seccomp-arch.js";
import { SECCOMP_FLAGS } from "./seccomp-validate.js";

/** What the shim installs: seccomp(SECCOMP_SET_MODE_FILTER, flags, program). */
export interface SeccompProgram {
  flags: number;
  program: Insn[];
}

/** The same as the plan carries it (docs/plan.md): two decimal numbers per instruction. */
export interface SeccompFilter {
  flags: number;
  words: readonly string[];
}

const EPERM = 1;
const ENOSYS = 38;

const RET_KILL_PROCESS = 0x80000000;

const ACTION_BASE: Record<SeccompAction, number> = {
  SCMP_ACT_KILL: 0x00000000,
  SCMP_ACT_KILL_THREAD: 0x00000000,
  SCMP_ACT_KILL_PROCESS: RET_KILL_PROCESS,
  SCMP_ACT_TRAP: 0x00030000,
  SCMP_ACT_ERRNO: 0x00050000,
  SCMP_ACT_TRACE: 0x7ff00000,
  SCMP_ACT_LOG: 0x7ffc0000,
  SCMP_ACT_ALLOW: 0x7fff0000,
};

/** The filter's return value (SECCOMP_RET_*): ERRNO and TRACE carry an errno, EPERM unless given. */
export function actionValue(action: SeccompAction, errnoRet?: number): number {
  const withData = action === "SCMP_ACT_ERRNO" || action === "SCMP_ACT_TRACE";
  return (ACTION_BASE[action] | (withData ? (errnoRet ?? EPERM) & 0xffff : 0)) >>> 0;
}

/** seccomp_data: nr at 0, arch at 4, instruction_pointer at 8, then six 64-bit args. */
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
const argOffset = (index: number) => 16 + 8 * index;

interface Rule {
  action: number;
  conditions: LinuxSeccompArg[];
}

/** One architecture of a section: its rules by syscall number, and the highest number the profile names. */
interface ArchRules {
  arch: SeccompArch;
  rules: Map<number, Rule[]>;
  maxNr?: number;
}

function rulesFor(arch: SeccompArch, sc: LinuxSeccomp, defaultAction: number): ArchRules {
  const numbers = syscallNumbers(arch);
  const out: ArchRules = { arch, rules: new Map() };
  for (const call of sc.syscalls ?? []) {
    const action = actionValue(call.action, call.errnoRet);
    const args = call.args ?? [];
    const sameIndexTwice = new Set(args.map((a) => a.index)).size < args.length;
    const conditionSets = sameIndexTwice ? args.map((a) => [a]) : [args];
    for (const name of call.names) {
      const nr = numbers.get(name);
      if (nr === undefined) continue;
      out.maxNr = Math.max(out.maxNr ?? nr, nr);
      if (action === defaultAction) continue;
      const list = out.rules.get(nr) ?? [];
      for (const conditions of conditionSets) list.push({ action, conditions });
      out.rules.set(nr, list);
    }
  }
  return out;
}

function split64(v: number): [hi: number, lo: number] {
  const b = BigInt(v);
  return [Number(b >> 32n) >>> 0, Number(b & 0xffffffffn)];
}

/** Falls through when the condition holds, jumps to FAIL when it does not. */
function condition(a: Assembler, arch: SeccompArch, c: LinuxSeccompArg, fail: Label): void {
  const base = argOffset(c.index);
  const loOff = arch.bigEndian ? base + 4 : base;
  const hiOff = arch.bigEndian ? base : base + 4;
  const [vhi, vlo] = split64(c.op === "SCMP_CMP_MASKED_EQ" ? (c.valueTwo ?? 0) : c.value);
  const [mhi, mlo] = split64(c.value);
  const ok = new Label();
  // A 32-bit ABI's arguments are 32 bits: only the low word counts.
  const wide = arch.bits === 64;
  const high = (test: () => void) => {
    if (!wide) return;
    a.load(hiOff);
    test();
  };
  switch (c.op) {
    case "SCMP_CMP_EQ":
      high(() => a.jeq(vhi, undefined, fail));
      a.load(loOff);
      a.jeq(vlo, undefined, fail);
      break;
    case "SCMP_CMP_NE":
      high(() => a.jeq(vhi, undefined, ok));
      a.load(loOff);
      a.jeq(vlo, fail, ok);
      break;
    case "SCMP_CMP_MASKED_EQ":
      high(() => {
        a.and(mhi);
        a.jeq(vhi, undefined, fail);
      });
      a.load(loOff);
      a.and(mlo);
      a.jeq(vlo, undefined, fail);
      break;
    case "SCMP_CMP_GT":
    case "SCMP_CMP_GE":
      high(() => {
        a.jgt(vhi, ok, undefined);
        a.jeq(vhi, undefined, fail);
      });
      a.load(loOff);
      if (c.op === "SCMP_CMP_GT") a.jgt(vlo, ok, fail);
      else a.jge(vlo, ok, fail);
      break;
    case "SCMP_CMP_LT":
    case "SCMP_CMP_LE":
      high(() => {
        a.jge(vhi, undefined, ok);
        a.jeq(vhi, undefined, fail);
      });
      a.load(loOff);
      if (c.op === "SCMP_CMP_LT") a.jge(vlo, fail, ok);
      else a.jgt(vlo, fail, ok);
      break;
  }
  a.bind(ok);
}

/** A syscall of a section: one action whatever its arguments, or rules to try in order. */
interface Entry {
  nr: number;
  arch: SeccompArch;
  action?: number;
  rules: Rule[];
  block: Label;
}

/** Syscall numbers from `start` up to the next segment's start: one action, or one syscall's rules. */
interface Segment {
  start: number;
  action?: number;
  entry?: Entry;
}

/** Neighbouring numbers with the same outcome make one segment; numbers without rules get the default. */
function segments(entries: Entry[], defaultAction: number): Segment[] {
  const out: Segment[] = [{ start: 0, action: defaultAction }];
  const push = (seg: Segment) => {
    // A segment starting where the last one does replaces it (the default after a syscall, when the next one follows).
    if (out[out.length - 1]?.start === seg.start) out.pop();
    const last = out[out.length - 1];
    if (last && seg.entry === undefined && last.entry === undefined && last.action === seg.action) return;
    out.push(seg);
  };
  for (const e of entries) {
    push(e.action === undefined ? { start: e.nr, entry: e } : { start: e.nr, action: e.action });
    if (e.nr < 0xffffffff) push({ start: e.nr + 1, action: defaultAction });
  }
  return out;
}

function size(segs: Segment[]): number {
  if (segs.length === 1) return 1;
  const mid = segs.length >> 1;
  const high = size(segs.slice(mid));
  return (high > 255 ? 2 : 1) + high + size(segs.slice(0, mid));
}

/**
 * A binary search on the syscall number over segments, not a list of jumps to walk: the
 * kernel runs the filter once per syscall number and ABI when it is installed (to find the
 * calls it may let through without running it again), and the time that takes, like the
 * time its JIT takes, grows with the program (a list of ~1000 jumps cost ~1 ms a run).
 */
function emitSearch(a: Assembler, segs: Segment[]): void {
  if (segs.length === 1) {
    const [seg] = segs;
    if (seg.entry) a.jump(seg.entry.block);
    else a.ret(seg.action as number);
    return;
  }
  const mid = segs.length >> 1;
  const high = segs.slice(mid);
  const low = new Label();
  if (size(high) > 255) {
    a.jge(high[0].start, skipOne(a), undefined);
    a.jump(low);
  } else {
    a.jge(high[0].start, undefined, low);
  }
  emitSearch(a, high);
  a.bind(low);
  emitSearch(a, segs.slice(0, mid));
}

/** The rules of a syscall whose action depends on its arguments; each ends in a `ret`. */
function emitBlock(a: Assembler, e: Entry, defaultAction: number): void {
  a.bind(e.block);
  for (const rule of e.rules) {
    if (rule.conditions.length === 0) {
      a.ret(rule.action);
      return;
    }
    const next = new Label();
    for (const c of rule.conditions) condition(a, e.arch, c, next);
    a.ret(rule.action);
    a.bind(next);
  }
  a.ret(defaultAction);
}

function emitRules(a: Assembler, archs: ArchRules[], defaultAction: number): void {
  const entries: Entry[] = [];
  for (const ar of archs) {
    for (const [nr, rules] of ar.rules) {
      const action = rules[0].conditions.length === 0 ? rules[0].action : undefined;
      entries.push({ nr, action, rules, block: new Label(), arch: ar.arch });
    }
  }
  entries.sort((x, y) => x.nr - y.nr);
  emitSearch(a, segments(entries, defaultAction));
  for (const e of entries) if (e.action === undefined) emitBlock(a, e, defaultAction);
}

/** A label for "the instruction after the next one": skips the `ret` that follows. */
function skipOne(a: Assembler): Label {
  const l = new Label();
  l.pos = a.length + 2;
  return l;
}

/** x86_64 and x32 share an AUDIT_ARCH: their calls are told apart by X32_SYSCALL_BIT. */
function emitSection(a: Assembler, archs: ArchRules[], defaultAction: number, enosys: boolean): void {
  a.load(OFFSET_NR);
  const x32 = archs.find((r) => r.arch.table === "x32");
  const native = archs.find((r) => r.arch.table !== "x32");
  const body = new Label();
  const tooNew = new Label();
  const badArch = new Label();
  const limit = (r: ArchRules | undefined) => {
    if (!r) a.jump(badArch);
    else if (enosys && r.maxNr !== undefined) a.jgt(r.maxNr, tooNew, body);
    else a.jump(body);
  };
  if (native?.arch.table === "x86_64" || x32) {
    const x32Part = new Label();
    const nativePart = new Label();
    a.jge(X32_SYSCALL_BIT, x32Part, nativePart);
    a.bind(x32Part);
    limit(x32);
    a.bind(nativePart);
    limit(native);
  } else if (native && enosys && native.maxNr !== undefined) {
    a.jgt(native.maxNr, tooNew, body);
  } else {
    a.jump(body);
  }
  a.bind(tooNew);
  a.ret(actionValue("SCMP_ACT_ERRNO", ENOSYS));
  a.bind(badArch);
  a.ret(RET_KILL_PROCESS);
  a.bind(body);
  emitRules(a, archs, defaultAction);
}

/** The architectures of the filter: this host's first, then those the spec lists that we have tables for. */
function filterArches(sc: LinuxSeccomp, native: string | undefined): SeccompArch[] {
  const own = native === undefined ? undefined : SECCOMP_ARCHES.get(native);
  if (!own) {
    throw new MydockerError("unsupported", `seccomp: no syscall table for this host's architecture (${process.arch}): run with --security-opt seccomp=unconfined`);
  }
  const out = [own];
  for (const name of sc.architectures ?? []) {
    const arch = SECCOMP_ARCHES.get(name);
    if (arch && !out.includes(arch)) out.push(arch);
  }
  return out;
}

/** Compiles a validated linux.seccomp for the host whose seccomp architecture is NATIVE. */
export function compileSeccomp(sc: LinuxSeccomp, native?: string): SeccompFilter {
  const { flags, program } = assembleSeccomp(sc, native);
  const words: string[] = [];
  for (const i of program) words.push(String(i.code * 65536 + i.jt * 256 + i.jf), String(i.k));
  return { flags, words };
}

/** The BPF program of a validated linux.seccomp, as instructions. */
export function assembleSeccomp(sc: LinuxSeccomp, native: string | undefined = nativeSeccompArch()): SeccompProgram {
  const defaultAction = actionValue(sc.defaultAction, sc.defaultErrnoRet);
  const enosys = sc.defaultAction !== "SCMP_ACT_ALLOW" && sc.defaultAction !== "SCMP_ACT_LOG";
  const sections = new Map<number, ArchRules[]>();
  for (const arch of filterArches(sc, native)) {
    const list = sections.get(arch.audit) ?? [];
    list.push(rulesFor(arch, sc, defaultAction));
    sections.set(arch.audit, list);
  }
  const a = new Assembler();
  const labels = [...sections.keys()].map(() => new Label());
  a.load(OFFSET_ARCH);
  [...sections.keys()].forEach((audit, i) => {
    a.jeq(audit, undefined, skipOne(a));
    a.jump(labels[i]);
  });
  a.ret(RET_KILL_PROCESS);
  [...sections.values()].forEach((archs, i) => {
    a.bind(labels[i]);
    emitSection(a, archs, defaultAction, enosys);
  });
  const program = a.assemble();
  if (program.length > BPF_MAXINSNS) {
    throw new MydockerError("invalid-config", `seccomp: the profile compiles to ${program.length} BPF instructions, more than the kernel's ${BPF_MAXINSNS}`);
  }
  const flags = (sc.flags ?? []).reduce((f, name) => f | (SECCOMP_FLAGS.get(name) ?? 0), 0);
  return { flags, program };
}
