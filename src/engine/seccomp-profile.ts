// docker's seccomp profiles (--security-opt seccomp=...): read, and evaluated into the OCI
// spec's linux.seccomp for one container, as moby's profiles/seccomp does: the archMap entry
// of this host's architecture, and each rule's includes/excludes held against the
// container's bounding capabilities, the host's architecture and its kernel version.
import os from "node:os";
import type { LinuxSeccomp, LinuxSeccompArg, LinuxSyscall, SeccompAction } from "../spec/runtime.js";
import { JsonReader, checkErrnoRet, compact, nativeSeccompArch, readSeccompAction, readSeccompArg, readSeccompFlags } from "../runtime/index.js";
import { MydockerError } from "../util/errors.js";

interface RuleFilter {
  /** Go's GOARCH names: amd64, arm64, s390x, ... */
  arches?: string[];
  caps?: string[];
  /** "MAJOR.MINOR" */
  minKernel?: string;
}

export interface DockerSyscall {
  name?: string;
  names?: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: LinuxSeccompArg[];
  comment?: string;
  includes?: RuleFilter;
  excludes?: RuleFilter;
}

export interface DockerSeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures: string[] | null }[];
  flags?: string[];
  syscalls?: DockerSyscall[];
}

/** What a profile is evaluated against. */
export interface SeccompHost {
  /** The container's bounding set ("CAP_SYS_ADMIN", ...). */
  caps: readonly string[];
  /** Go's name of the host architecture (amd64). */
  goArch: string;
  /** SCMP_ARCH_* of the host. */
  seccompArch: string | undefined;
  /** [major, minor] of the running kernel. */
  kernel: readonly [number, number];
}

const GOARCH: Readonly<Record<string, string>> = { x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" };

function parseKernel(v: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export function thisHost(caps: readonly string[]): SeccompHost {
  return { caps, goArch: GOARCH[process.arch] ?? process.arch, seccompArch: nativeSeccompArch(), kernel: parseKernel(os.release()) ?? [0, 0] };
}

function readFilter(r: JsonReader, v: unknown, path: string): RuleFilter {
  const o = r.object(v, path);
  return compact({
    arches: r.optional(o, "arches", path, (x, p) => r.strings(x, p)),
    caps: r.optional(o, "caps", path, (x, p) => r.strings(x, p)),
    minKernel: r.optional(o, "minKernel", path, (x, p) => {
      const s = r.string(x, p);
      if (!/^\d+\.\d+$/.test(s)) r.fail(p, `"${s}" is not a kernel version (MAJOR.MINOR)`);
      return s;
    }),
  });
}

function readSyscall(r: JsonReader, v: unknown, path: string): DockerSyscall {
  const o = r.object(v, path);
  const name = r.optional(o, "name", path, (x, p) => r.string(x, p));
  const names = r.optional(o, "names", path, (x, p) => r.strings(x, p));
  if (name !== undefined && names?.length) r.fail(path, "use either 'name' or 'names', not both");
  if (name === undefined && !names?.length) r.fail(`${path}.names`, "is required");
  const action = r.required(o, "action", path, (x, p) => readSeccompAction(r, x, p));
  const errnoRet = r.optional(o, "errnoRet", path, (x, p) => r.integer(x, p, 0, 0xffff));
  checkErrnoRet(r, action, errnoRet, `${path}.errnoRet`);
  return compact({
    names: name !== undefined ? [name] : names,
    action,
    errnoRet,
    args: r.optional(o, "args", path, (x, p) => r.list(x, p, (e, q) => readSeccompArg(r, e, q))),
    includes: r.optional(o, "includes", path, (x, p) => readFilter(r, x, p)),
    excludes: r.optional(o, "excludes", path, (x, p) => readFilter(r, x, p)),
  });
}

/** Reads a profile in docker's format; a fault is one line naming where it is. */
export function parseSeccompProfile(text: string): DockerSeccompProfile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new MydockerError("invalid-seccomp", `seccomp profile: not valid JSON: ${(e as Error).message}`);
  }
  const r = new JsonReader("seccomp profile");
  const o = r.object(json, "");
  if (o["listenerPath"]) r.fail("listenerPath", "a seccomp listener is not supported");
  const defaultAction = r.required(o, "defaultAction", "", (x, p) => readSeccompAction(r, x, p));
  const defaultErrnoRet = r.optional(o, "defaultErrnoRet", "", (x, p) => r.integer(x, p, 0, 0xffff));
  checkErrnoRet(r, defaultAction, defaultErrnoRet, "defaultErrnoRet");
  const profile: DockerSeccompProfile = compact({
    defaultAction,
    defaultErrnoRet,
    architectures: r.optional(o, "architectures", "", (x, p) => r.strings(x, p)),
    archMap: r.optional(o, "archMap", "", (x, p) =>
      r.list(x, p, (e, q) => {
        const m = r.object(e, q);
        return {
          architecture: r.required(m, "architecture", q, (y, s) => r.string(y, s)),
          subArchitectures: r.optional(m, "subArchitectures", q, (y, s) => r.strings(y, s)) ?? null,
        };
      }),
    ),
    flags: r.optional(o, "flags", "", (x, p) => readSeccompFlags(r, x, p)),
    syscalls: r.optional(o, "syscalls", "", (x, p) => r.list(x, p, (e, q) => readSyscall(r, e, q))),
  });
  if (profile.architectures?.length && profile.archMap?.length) r.fail("", "use either 'architectures' or 'archMap', not both");
  return profile;
}

function atLeast(kernel: readonly [number, number], version: string): boolean {
  const [major, minor] = version.split(".").map(Number);
  return kernel[0] > major || (kernel[0] === major && kernel[1] >= minor);
}

/** moby's rule: excludes first (any match drops the rule), then includes (all must match). */
function applies(call: DockerSyscall, host: SeccompHost): boolean {
  const ex = call.excludes ?? {};
  if (ex.arches?.includes(host.goArch)) return false;
  if (ex.caps?.some((c) => host.caps.includes(c))) return false;
  if (ex.minKernel !== undefined && atLeast(host.kernel, ex.minKernel)) return false;
  const inc = call.includes ?? {};
  if (inc.arches?.length && !inc.arches.includes(host.goArch)) return false;
  if (inc.caps?.some((c) => !host.caps.includes(c))) return false;
  if (inc.minKernel !== undefined && !atLeast(host.kernel, inc.minKernel)) return false;
  return true;
}

/** The profile as it applies to one container on this host: the OCI spec's linux.seccomp. */
export function evaluateProfile(profile: DockerSeccompProfile, host: SeccompHost): LinuxSeccomp {
  const architectures = profile.archMap?.length
    ? profile.archMap.filter((m) => m.architecture === host.seccompArch).flatMap((m) => [m.architecture, ...(m.subArchitectures ?? [])])
    : (profile.architectures ?? []);
  const syscalls = (profile.syscalls ?? []).filter((call) => applies(call, host)).map(
    (call): LinuxSyscall =>
      compact({ names: call.names ?? [], action: call.action, errnoRet: call.errnoRet, args: call.args }),
  );
  return compact({ defaultAction: profile.defaultAction, defaultErrnoRet: profile.defaultErrnoRet, architectures, flags: profile.flags, syscalls });
}
