// docker's seccomp profiles in the engine: reading one, and evaluating it for a container
// (archMap, includes/excludes by capabilities, architecture and kernel), and --security-opt.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_SECCOMP_PROFILE } from "../../src/engine/seccomp-default.js";
import { evaluateProfile, parseSeccompProfile, type SeccompHost } from "../../src/engine/seccomp-profile.js";
import { checkSecurityOpts, noNewPrivileges, seccompFor } from "../../src/engine/seccomp-options.js";
import { DEFAULT_CAPABILITIES } from "../../src/runtime/index.js";
import type { LinuxSeccomp } from "../../src/spec/runtime.js";

const AMD64: SeccompHost = { caps: DEFAULT_CAPABILITIES, goArch: "amd64", seccompArch: "SCMP_ARCH_X86_64", kernel: [6, 1] };

/** Every name the evaluated profile gives ACTION (any arguments). */
function named(sc: LinuxSeccomp, action = "SCMP_ACT_ALLOW"): Set<string> {
  return new Set((sc.syscalls ?? []).filter((s) => s.action === action).flatMap((s) => s.names));
}

test("the default profile for a default container: docker's allow-list, no namespaces, no keyring, no io_uring", () => {
  const sc = evaluateProfile(DEFAULT_SECCOMP_PROFILE, AMD64);
  assert.equal(sc.defaultAction, "SCMP_ACT_ERRNO");
  assert.equal(sc.defaultErrnoRet, 1);
  assert.deepEqual(sc.architectures, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
  const allowed = named(sc);
  for (const n of ["read", "mkdir", "execve", "ptrace", "arch_prctl", "modify_ldt", "clone"]) assert.ok(allowed.has(n), n);
  for (const n of ["unshare", "setns", "mount", "keyctl", "add_key", "request_key", "io_uring_setup", "bpf", "reboot", "kcmp", "cacheflush", "s390_runtime_instr"]) {
    assert.ok(!allowed.has(n), n);
  }
  // clone only without namespace flags; clone3 says ENOSYS so that libc falls back to clone.
  const clone = sc.syscalls!.filter((s) => s.names.includes("clone"));
  assert.deepEqual(clone.map((s) => s.args), [[{ index: 0, value: 2114060288, op: "SCMP_CMP_MASKED_EQ" }]]);
  assert.deepEqual(
    sc.syscalls!.filter((s) => s.names.includes("clone3")).map((s) => [s.action, s.errnoRet]),
    [["SCMP_ACT_ERRNO", 38]],
  );
});

test("includes and excludes by capability follow the container's bounding set", () => {
  const admin = evaluateProfile(DEFAULT_SECCOMP_PROFILE, { ...AMD64, caps: [...DEFAULT_CAPABILITIES, "CAP_SYS_ADMIN", "CAP_SYS_CHROOT"] });
  const allowed = named(admin);
  for (const n of ["unshare", "setns", "mount", "clone3", "chroot"]) assert.ok(allowed.has(n), n);
  // The excludes of CAP_SYS_ADMIN drop the conditional clone and clone3's ENOSYS.
  assert.equal(admin.syscalls!.filter((s) => s.names.includes("clone")).every((s) => s.args === undefined), true);
  assert.equal(named(admin, "SCMP_ACT_ERRNO").has("clone3"), false);

  const noChroot = evaluateProfile(DEFAULT_SECCOMP_PROFILE, { ...AMD64, caps: DEFAULT_CAPABILITIES.filter((c) => c !== "CAP_SYS_CHROOT") });
  assert.equal(named(noChroot).has("chroot"), false);
  assert.equal(named(evaluateProfile(DEFAULT_SECCOMP_PROFILE, AMD64)).has("chroot"), true, "CAP_SYS_CHROOT is a default capability");
});

test("architectures: the host's archMap entry, rules by arch, and minKernel", () => {
  const arm = evaluateProfile(DEFAULT_SECCOMP_PROFILE, { ...AMD64, goArch: "arm64", seccompArch: "SCMP_ARCH_AARCH64" });
  assert.deepEqual(arm.architectures, ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]);
  assert.ok(named(arm).has("cacheflush"));
  assert.ok(!named(arm).has("arch_prctl"));
  const s390 = evaluateProfile(DEFAULT_SECCOMP_PROFILE, { ...AMD64, goArch: "s390x", seccompArch: "SCMP_ARCH_S390X" });
  assert.deepEqual(s390.syscalls!.filter((s) => s.names.includes("clone")).map((s) => s.args?.[0].index), [1]);
  // ptrace is allowed from 4.8 on (seccomp could be bypassed with it before).
  const old = evaluateProfile(DEFAULT_SECCOMP_PROFILE, { ...AMD64, kernel: [4, 4] });
  assert.equal(named(old).has("ptrace"), false);
  assert.equal(named(evaluateProfile(DEFAULT_SECCOMP_PROFILE, { ...AMD64, kernel: [4, 8] })).has("ptrace"), true);
  assert.equal(named(evaluateProfile(DEFAULT_SECCOMP_PROFILE, { ...AMD64, kernel: [5, 0] })).has("ptrace"), true);
});

test("a user's profile: name or names, excludes.minKernel, architectures as given", () => {
  const p = parseSeccompProfile(
    JSON.stringify({
      defaultAction: "SCMP_ACT_ALLOW",
      architectures: ["SCMP_ARCH_X86_64"],
      syscalls: [
        { name: "mkdir", action: "SCMP_ACT_ERRNO", errnoRet: 13 },
        { names: ["chmod"], action: "SCMP_ACT_KILL_PROCESS", excludes: { minKernel: "5.0" } },
      ],
    }),
  );
  const sc = evaluateProfile(p, AMD64);
  assert.deepEqual(sc, {
    defaultAction: "SCMP_ACT_ALLOW",
    architectures: ["SCMP_ARCH_X86_64"],
    syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 13 }],
  });
});

test("a bad profile is one line saying what and where", () => {
  const bad: [string, RegExp][] = [
    ["{bad", /^seccomp profile: not valid JSON: /],
    ["[]", /^seccomp profile: \(root\): must be an object$/],
    ['{"defaultAction":"SCMP_ACT_FOO"}', /^seccomp profile: defaultAction: must be one of SCMP_ACT_KILL, /],
    ['{"defaultAction":"SCMP_ACT_NOTIFY"}', /not supported/],
    ['{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["x"],"action":"SCMP_ACT_DENY"}]}', /^seccomp profile: syscalls\[0\]\.action: must be one of/],
    ['{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"x","names":["y"],"action":"SCMP_ACT_ERRNO"}]}', /either 'name' or 'names'/],
    ['{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW","errnoRet":1}]}', /errnoRet: is only valid with SCMP_ACT_ERRNO/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]}', /args\[0\]\.index: must be between 0 and 5/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_LIKE"}]}]}', /args\[0\]\.op: must be one of/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}', /either 'architectures' or 'archMap'/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"five"}}]}', /not a kernel version/],
  ];
  for (const [text, message] of bad) {
    assert.throws(
      () => parseSeccompProfile(text),
      (e: Error) => message.test(e.message) && !e.message.includes("\n"),
      text,
    );
  }
});

test("--security-opt: what is taken, what is refused, and the filter each gives", () => {
  checkSecurityOpts(["no-new-privileges", "no-new-privileges:true", "no-new-privileges=false", "seccomp=unconfined", "apparmor=unconfined", "label=disable"]);
  checkSecurityOpts([`seccomp=${JSON.stringify({ defaultAction: "SCMP_ACT_ALLOW" })}`]);
  for (const opt of ["apparmor=docker-default", "label=type:svirt_t", "seccomp=/some/path.json", "nonsense", "no-new-privileges:maybe"]) {
    assert.throws(() => checkSecurityOpts([opt]), /invalid --security-opt|seccomp profile/, opt);
  }
  assert.equal(noNewPrivileges(["no-new-privileges"]), true);
  assert.equal(noNewPrivileges(["no-new-privileges:true", "no-new-privileges:false"]), false);
  assert.equal(noNewPrivileges([]), false);

  assert.equal(seccompFor([], false, DEFAULT_CAPABILITIES)?.defaultAction, "SCMP_ACT_ERRNO");
  assert.equal(seccompFor(["seccomp=unconfined"], false, DEFAULT_CAPABILITIES), undefined);
  assert.equal(seccompFor([], true, DEFAULT_CAPABILITIES), undefined, "--privileged runs unconfined");
  const custom = seccompFor([`seccomp=${JSON.stringify({ defaultAction: "SCMP_ACT_LOG" })}`], false, DEFAULT_CAPABILITIES);
  assert.equal(custom?.defaultAction, "SCMP_ACT_LOG");
});
