// linux.seccomp -> BPF, run through an interpreter (no kernel needed), and where the filter
// lands in the plan.
import { test } from "node:test";
import assert from "node:assert/strict";
import { assembleSeccomp, compileSeccomp } from "../../src/runtime/seccomp-compile.js";
import { SECCOMP_ARCHES, syscallNumbers } from "../../src/runtime/seccomp-arch.js";
import { compile, compileExec } from "../../src/runtime/compile.js";
import { defaultSpec, DEFAULT_CAPABILITIES, validateSpec } from "../../src/runtime/index.js";
import { encodePlan } from "../../src/runtime/plan.js";
import { DEFAULT_SECCOMP_PROFILE } from "../../src/engine/seccomp-default.js";
import { evaluateProfile } from "../../src/engine/seccomp-profile.js";
import type { LinuxSeccomp, SeccompOperator } from "../../src/spec/runtime.js";
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, RET_ALLOW, RET_KILL_PROCESS, retErrno, runFilter } from "../helpers/bpf.js";

const EPERM = retErrno(1);
const ENOSYS = retErrno(38);
const X32 = 0x40000000;
// x86_64 numbers
const NR = { read: 0, socket: 41, clone: 56, mkdir: 83, personality: 135, unshare: 272, keyctl: 250, io_uring_setup: 425, clone3: 435, fchmodat2: 452 };

const dockerDefault = (caps: readonly string[] = DEFAULT_CAPABILITIES) =>
  assembleSeccomp(evaluateProfile(DEFAULT_SECCOMP_PROFILE, { caps, goArch: "amd64", seccompArch: "SCMP_ARCH_X86_64", kernel: [6, 1] }), "SCMP_ARCH_X86_64");

function spec() {
  const s = defaultSpec();
  s.process!.args = ["/bin/sh"];
  return s;
}

function withSeccomp(seccomp: unknown): unknown {
  const s = spec();
  return { ...s, linux: { ...s.linux, seccomp } };
}

const x86_64 = (nr: number, ...args: bigint[]) => ({ nr, arch: AUDIT_ARCH_X86_64, args });

test("docker's default profile on x86_64: what a container may and may not call", () => {
  const { program, flags } = dockerDefault();
  assert.equal(flags, 0);
  assert.ok(program.length < 1500, `${program.length} instructions`);
  const run = (nr: number, ...args: bigint[]) => runFilter(program, x86_64(nr, ...args));
  assert.equal(run(NR.read), RET_ALLOW);
  assert.equal(run(NR.mkdir), RET_ALLOW);
  assert.equal(run(NR.unshare), EPERM);
  assert.equal(run(NR.keyctl), EPERM);
  assert.equal(run(NR.io_uring_setup), EPERM);
  // clone: a thread or a process, not a namespace.
  assert.equal(run(NR.clone, 0x3d0f00n), RET_ALLOW);
  assert.equal(run(NR.clone, 0x11n), RET_ALLOW);
  assert.equal(run(NR.clone, 0x10000000n | 0x11n), EPERM, "CLONE_NEWUSER");
  assert.equal(run(NR.clone, 0x20000n), EPERM, "CLONE_NEWNS");
  assert.equal(run(NR.clone3), ENOSYS);
  // personality: only the values docker allows; the high word counts.
  assert.equal(run(NR.personality, 0n), RET_ALLOW);
  assert.equal(run(NR.personality, 0xffffffffn), RET_ALLOW);
  assert.equal(run(NR.personality, 0x1_ffffffffn), EPERM);
  assert.equal(run(NR.personality, 0x0040000n), EPERM, "ADDR_NO_RANDOMIZE");
  // socket: anything but AF_VSOCK.
  assert.equal(run(NR.socket, 2n), RET_ALLOW);
  assert.equal(run(NR.socket, 40n), EPERM);
  // Newer than anything the profile names: ENOSYS, so that libc falls back (runc's rule).
  assert.equal(run(NR.fchmodat2), ENOSYS);
  assert.equal(run(1000), ENOSYS);
});

test("the other ABIs of the host: i386 and x32 have their own numbers; an unknown ABI is killed", () => {
  const { program } = dockerDefault();
  assert.equal(runFilter(program, { nr: 39, arch: AUDIT_ARCH_I386 }), RET_ALLOW, "i386 mkdir");
  assert.equal(runFilter(program, { nr: 310, arch: AUDIT_ARCH_I386 }), EPERM, "i386 unshare");
  assert.equal(runFilter(program, { nr: X32 | NR.mkdir, arch: AUDIT_ARCH_X86_64 }), RET_ALLOW, "x32 mkdir");
  assert.equal(runFilter(program, { nr: X32 | NR.unshare, arch: AUDIT_ARCH_X86_64 }), EPERM, "x32 unshare");
  assert.equal(runFilter(program, { nr: 0, arch: 0xc00000b7 }), RET_KILL_PROCESS, "aarch64 on x86_64");
  // Without x32 in the filter, an x32 call is one of an unknown ABI.
  const native = assembleSeccomp({ defaultAction: "SCMP_ACT_ALLOW" }, "SCMP_ARCH_X86_64").program;
  assert.equal(runFilter(native, { nr: X32 | NR.mkdir, arch: AUDIT_ARCH_X86_64 }), RET_KILL_PROCESS);
  assert.equal(runFilter(native, { nr: 0, arch: AUDIT_ARCH_I386 }), RET_KILL_PROCESS);
  assert.equal(runFilter(native, { nr: 1000, arch: AUDIT_ARCH_X86_64 }), RET_ALLOW, "no ENOSYS rule under a default that allows");
});

test("with CAP_SYS_ADMIN the namespace calls are allowed, as docker does", () => {
  const { program } = dockerDefault([...DEFAULT_CAPABILITIES, "CAP_SYS_ADMIN"]);
  assert.equal(runFilter(program, x86_64(NR.unshare)), RET_ALLOW);
  assert.equal(runFilter(program, x86_64(NR.clone, 0x10000000n)), RET_ALLOW);
  assert.equal(runFilter(program, x86_64(NR.clone3)), RET_ALLOW);
});

test("argument operators compare all 64 bits; conditions on one argument are alternatives", () => {
  const rule = (op: SeccompOperator, value: number, valueTwo?: number) => ({
    defaultAction: "SCMP_ACT_ERRNO" as const,
    syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW" as const, args: [{ index: 2, value, op, ...(valueTwo === undefined ? {} : { valueTwo }) }] }],
  });
  const check = (sc: LinuxSeccomp, cases: [bigint, boolean][]) => {
    const { program } = assembleSeccomp(validateSpec(withSeccomp(sc)).linux!.seccomp!, "SCMP_ARCH_X86_64");
    for (const [arg, allowed] of cases) {
      assert.equal(runFilter(program, x86_64(NR.read, 0n, 0n, arg)), allowed ? RET_ALLOW : EPERM, `${JSON.stringify(sc.syscalls![0].args)} ${arg}`);
    }
  };
  const big = 2 ** 33 + 5;
  check(rule("SCMP_CMP_EQ", big), [[BigInt(big), true], [5n, false], [BigInt(2 ** 33), false]]);
  check(rule("SCMP_CMP_NE", big), [[BigInt(big), false], [5n, true], [BigInt(2 ** 34 + 5), true]]);
  check(rule("SCMP_CMP_LT", big), [[5n, true], [BigInt(big - 1), true], [BigInt(big), false], [BigInt(2 ** 34), false]]);
  check(rule("SCMP_CMP_LE", big), [[BigInt(big), true], [BigInt(big + 1), false], [0n, true]]);
  check(rule("SCMP_CMP_GT", big), [[BigInt(big + 1), true], [BigInt(big), false], [BigInt(2 ** 34), true], [6n, false]]);
  check(rule("SCMP_CMP_GE", big), [[BigInt(big), true], [BigInt(big - 1), false], [BigInt(2 ** 40), true]]);
  check(rule("SCMP_CMP_MASKED_EQ", 0xf0, 0x20), [[0x21n, true], [0x2fn, true], [0x30n, false], [0x1_00000020n, true]]);
  // Two conditions on index 2: either will do (runc).
  check(
    {
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW", args: [{ index: 2, value: 1, op: "SCMP_CMP_EQ" }, { index: 2, value: 2, op: "SCMP_CMP_EQ" }] }],
    },
    [[1n, true], [2n, true], [3n, false]],
  );
});

test("rules: first match wins, a rule with the default action is left out, unknown names are skipped", () => {
  const { program } = assembleSeccomp(
    {
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [
        { names: ["no_such_call", "mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 13 },
        { names: ["mkdir"], action: "SCMP_ACT_KILL_PROCESS" },
        { names: ["read"], action: "SCMP_ACT_ALLOW" },
        { names: ["read"], action: "SCMP_ACT_TRAP" },
      ],
    },
    "SCMP_ARCH_X86_64",
  );
  assert.equal(runFilter(program, x86_64(NR.mkdir)), retErrno(13));
  assert.equal(runFilter(program, x86_64(NR.read)), 0x00030000, "the ALLOW rule is dropped, TRAP is left");
  assert.equal(runFilter(program, x86_64(NR.unshare)), RET_ALLOW);
});


test("the plan installs the filter before dropping privileges, or right before exec with no_new_privs", () => {
  const s = spec();
  s.linux!.seccomp = { defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW" }] };
  const ops = (p: { op: string }[]) => p.map((x) => x.op).filter((o) => ["keyring", "seccomp", "bounding", "user", "caps", "nonewprivs", "exec"].includes(o));
  assert.deepEqual(ops(compile(s, { bundle: "/b", lastCap: 40 })), ["keyring", "seccomp", "bounding", "user", "caps", "exec"]);
  s.process!.noNewPrivileges = true;
  const plan = compile(s, { bundle: "/b", lastCap: 40 });
  assert.deepEqual(ops(plan), ["keyring", "bounding", "user", "caps", "nonewprivs", "seccomp", "exec"]);
  assert.equal(plan[plan.length - 2].op, "seccomp", "nothing between the filter and exec");

  const filter = compileSeccomp(s.linux!.seccomp, "SCMP_ARCH_X86_64");
  assert.deepEqual(ops(compileExec({ pid: 7, namespaces: ["mount"], seccomp: filter }, s.process!, { lastCap: 40 })), [
    "keyring",
    "bounding",
    "user",
    "caps",
    "nonewprivs",
    "seccomp",
    "exec",
  ]);
  delete s.linux!.seccomp;
  assert.equal(compile(s, { bundle: "/b", lastCap: 40 }).some((x) => x.op === "seccomp"), false);
});

test("the seccomp record: flags, then two decimal numbers per instruction", () => {
  const sc: LinuxSeccomp = { defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"] };
  const filter = compileSeccomp(sc, "SCMP_ARCH_X86_64");
  assert.equal(filter.flags, 6);
  const fields = encodePlan([{ op: "seccomp", ...filter }]).toString().split("\0");
  assert.equal(fields[0], "seccomp");
  assert.equal(Number(fields[1]), 1 + 2 * assembleSeccomp(sc, "SCMP_ARCH_X86_64").program.length);
  assert.equal(fields[2], "6");
  // The first instruction loads seccomp_data.arch: BPF_LD|BPF_W|BPF_ABS (0x20), k = 4.
  assert.deepEqual(fields.slice(3, 5), [String(0x20 * 65536), "4"]);
  assert.ok(fields.slice(2, -1).every((f) => /^[0-9]+$/.test(f)));
});

test("the runtime refuses a malformed linux.seccomp with its JSON path", () => {
  const bad: [unknown, RegExp][] = [
    [{ defaultAction: "SCMP_ACT_NOTIFY" }, /linux\.seccomp\.defaultAction: SCMP_ACT_NOTIFY is not supported/],
    [{ defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/run/x.sock" }, /listenerPath: a seccomp listener is not supported/],
    [{ defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_Z80"] }, /architectures\[0\]: unknown architecture/],
    [{ defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_NEW_LISTENER"] }, /flags\[0\]: must be one of/],
    [{ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: [], action: "SCMP_ACT_ERRNO" }] }, /syscalls\[0\]\.names: must not be empty/],
    [{ defaultAction: "SCMP_ACT_KILL", defaultErrnoRet: 3 }, /defaultErrnoRet: is only valid with/],
  ];
  for (const [seccomp, message] of bad) {
    assert.throws(() => validateSpec(withSeccomp(seccomp)), message, JSON.stringify(seccomp));
  }
});

test("every syscall number of every ABI gets what the profile's rules say (the search misses none)", () => {
  const sc = evaluateProfile(DEFAULT_SECCOMP_PROFILE, { caps: DEFAULT_CAPABILITIES, goArch: "amd64", seccompArch: "SCMP_ARCH_X86_64", kernel: [6, 1] });
  const { program } = assembleSeccomp(sc, "SCMP_ARCH_X86_64");
  const abis: [string, number][] = [["SCMP_ARCH_X86_64", AUDIT_ARCH_X86_64], ["SCMP_ARCH_X86", AUDIT_ARCH_I386], ["SCMP_ARCH_X32", AUDIT_ARCH_X86_64]];
  for (const [name, audit] of abis) {
    const numbers = syscallNumbers(SECCOMP_ARCHES.get(name)!);
    // What the rules say, from the names, for the calls whose action does not depend on arguments.
    const expected = new Map<number, number>();
    const conditional = new Set<number>();
    for (const call of sc.syscalls ?? []) {
      for (const n of call.names) {
        const nr = numbers.get(n);
        if (nr === undefined || expected.has(nr) || conditional.has(nr)) continue;
        if (call.args?.length) conditional.add(nr);
        else expected.set(nr, call.action === "SCMP_ACT_ALLOW" ? RET_ALLOW : retErrno(call.errnoRet ?? 1));
      }
    }
    const max = Math.max(...expected.keys(), ...conditional);
    const base = name === "SCMP_ARCH_X32" ? X32 : 0;
    for (let nr = base; nr <= max + 3; nr++) {
      if (conditional.has(nr)) continue;
      const want = expected.get(nr) ?? (nr > max ? ENOSYS : EPERM);
      assert.equal(runFilter(program, { nr, arch: audit }), want, `${name} ${nr}`);
    }
  }
});
