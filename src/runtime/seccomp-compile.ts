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
export interface SeccompFilter {
  flags: number;
  program: Insn[];
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
  action?: number;
  rules: Rule[];
  block: Label;
}

/** Syscalls per leaf of the search tree: a few jumps in a row cost less than more tree. */
const LEAF = 16;

type Tree = { leaf: Entry[] } | { split: number; low: Tree; high: Tree };

function tree(entries: Entry[]): Tree {
  if (entries.length <= LEAF) return { leaf: entries };
  const mid = entries.length >> 1;
  return { split: entries[mid].nr, low: tree(entries.slice(0, mid)), high: tree(entries.slice(mid)) };
}

/** A leaf: a jump per syscall (to the shared `ret` of its action, or to its rules), else the default. */
function leafSize(entries: Entry[]): number {
  const actions = new Set(entries.filter((e) => e.action !== undefined).map((e) => e.action));
  return entries.reduce((n, e) => n + (e.action === undefined ? 2 : 1), 0) + 1 + actions.size;
}

function size(t: Tree): number {
  if ("leaf" in t) return leafSize(t.leaf);
  const high = size(t.high);
  return (high > 255 ? 2 : 1) + high + size(t.low);
}

/**
 * A binary search on the syscall number instead of a list to walk: the kernel runs the filter
 * once per syscall number and ABI when it is installed (to find the calls it may let through
 * without running it again), and a list of ~1000 jumps made that cost a millisecond a run.
 */
function emitTree(a: Assembler, t: Tree, defaultAction: number): void {
  if ("split" in t) {
    const high = size(t.high);
    if (high > 255) {
      const low = new Label();
      a.jge(t.split, skipOne(a), undefined);
      a.jump(low);
      emitTree(a, t.high, defaultAction);
      a.bind(low);
    } else {
      const low = new Label();
      a.jge(t.split, undefined, low);
      emitTree(a, t.high, defaultAction);
      a.bind(low);
    }
    emitTree(a, t.low, defaultAction);
    return;
  }
  const rets = new Map<number, Label>();
  for (const e of t.leaf) {
    if (e.action === undefined) {
      a.jeq(e.nr, undefined, skipOne(a));
      a.jump(e.block);
    } else {
      let ret = rets.get(e.action);
      if (!ret) rets.set(e.action, (ret = new Label()));
      a.jeq(e.nr, ret, undefined);
    }
  }
  a.ret(defaultAction);
  for (const [action, ret] of rets) {
    a.bind(ret);
    a.ret(action);
  }
}

/** The rules of a syscall whose action depends on its arguments; each ends in a `ret`. */
function emitBlock(a: Assembler, arch: SeccompArch, e: Entry, defaultAction: number): void {
  a.bind(e.block);
  for (const rule of e.rules) {
    if (rule.conditions.length === 0) {
      a.ret(rule.action);
      return;
    }
    const next = new Label();
    for (const c of rule.conditions) condition(a, arch, c, next);
    a.ret(rule.action);
    a.bind(next);
  }
  a.ret(defaultAction);
}

function emitRules(a: Assembler, archs: ArchRules[], defaultAction: number): void {
  const entries: (Entry & { arch: SeccompArch })[] = [];
  for (const ar of archs) {
    for (const [nr, rules] of ar.rules) {
      const action = rules[0].conditions.length === 0 ? rules[0].action : undefined;
      entries.push({ nr, action, rules, block: new Label(), arch: ar.arch });
    }
  }
  entries.sort((x, y) => x.nr - y.nr);
  emitTree(a, tree(entries), defaultAction);
  for (const e of entries) if (e.action === undefined) emitBlock(a, e.arch, e, defaultAction);
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
  const limit = (r: ArchRules | undefined, orElse: Label) => {
    if (!r) a.jump(badArch);
    else if (enosys && r.maxNr !== undefined) a.jgt(r.maxNr, tooNew, body);
    else a.jump(orElse);
  };
  if (native?.arch.table === "x86_64" || x32) {
    const x32Part = new Label();
    const nativePart = new Label();
    a.jge(X32_SYSCALL_BIT, x32Part, nativePart);
    a.bind(x32Part);
    limit(x32, body);
    a.bind(nativePart);
    limit(native, body);
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
export function compileSeccomp(sc: LinuxSeccomp, native: string | undefined = nativeSeccompArch()): SeccompFilter {
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
