// Validates an untrusted config.json into a Spec. Unknown fields are ignored (as the OCI
// spec asks); a wrong value is refused with the JSON path of the fault.
import type {
  Capabilities,
  Device,
  Hook,
  Hooks,
  IdMapping,
  Linux,
  Mount,
  Namespace,
  NamespaceType,
  Process,
  Rlimit,
  Root,
  Spec,
  User,
} from "../spec/runtime.js";
import { CAPABILITIES } from "./capabilities.js";
import { compact, JsonReader } from "./json-reader.js";
import { PROPAGATION_FLAGS } from "./mount-options.js";
import { RLIMITS } from "./rlimits.js";
import { readResources } from "./validate-resources.js";
import { readSeccomp } from "./seccomp-validate.js";
import { checkSysctl } from "./sysctl.js";

const NAMESPACE_TYPES: readonly NamespaceType[] = ["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"];
const UINT32_MAX = 0xffffffff;

export function validateSpec(input: unknown, file = "config.json"): Spec {
  const r = new JsonReader(file);
  const o = r.object(input, "");
  const spec: Spec = compact({
    ociVersion: r.required(o, "ociVersion", "", (v, p) => r.string(v, p)),
    process: r.required(o, "process", "", (v, p) => readProcess(r, v, p)),
    root: r.required(o, "root", "", (v, p) => readRoot(r, v, p)),
    hostname: r.optional(o, "hostname", "", (v, p) => r.string(v, p)),
    domainname: r.optional(o, "domainname", "", (v, p) => r.string(v, p)),
    mounts: r.optional(o, "mounts", "", (v, p) => r.list(v, p, (e, q) => readMount(r, e, q))),
    hooks: r.optional(o, "hooks", "", (v, p) => readHooks(r, v, p)),
    annotations: r.optional(o, "annotations", "", (v, p) => r.stringMap(v, p)),
    linux: r.optional(o, "linux", "", (v, p) => readLinux(r, v, p)),
  });
  checkConsistency(r, spec);
  return spec;
}

/** Validates the process of an exec (runc's process.json). */
export function validateProcess(input: unknown, file = "process.json"): Process {
  return readProcess(new JsonReader(file), input, "");
}

function readProcess(r: JsonReader, v: unknown, path: string): Process {
  const o = r.object(v, path);
  r.refuse(o, "selinuxLabel", path, "this runtime applies no SELinux label; leave it out");
  r.refuse(o, "ioPriority", path, "I/O priorities are not set by this runtime");
  r.refuse(o, "scheduler", path, "scheduling policies are not set by this runtime");
  r.refuse(o, "execCPUAffinity", path, "CPU affinity is not set by this runtime; use linux.resources.cpu.cpus");
  const args = r.required(o, "args", path, (x, p) => r.strings(x, p));
  if (args.length === 0) r.fail(`${path}.args`, "must not be empty");
  return compact({
    terminal: r.optional(o, "terminal", path, (x, p) => r.boolean(x, p)),
    consoleSize: r.optional(o, "consoleSize", path, (x, p) => {
      const c = r.object(x, p);
      return {
        height: r.required(c, "height", p, (y, q) => r.integer(y, q, 0, 0xffff)),
        width: r.required(c, "width", p, (y, q) => r.integer(y, q, 0, 0xffff)),
      };
    }),
    user: r.required(o, "user", path, (x, p) => readUser(r, x, p)),
    args,
    env: r.optional(o, "env", path, (x, p) =>
      r.list(x, p, (e, q) => {
        const s = r.string(e, q);
        if (!s.includes("=")) r.fail(q, 'must be of the form "NAME=VALUE"');
        return s;
      }),
    ),
    cwd: r.required(o, "cwd", path, (x, p) => r.absolutePath(x, p)),
    capabilities: r.optional(o, "capabilities", path, (x, p) => readCapabilities(r, x, p)),
    rlimits: r.optional(o, "rlimits", path, (x, p) => r.list(x, p, (e, q) => readRlimit(r, e, q))),
    noNewPrivileges: r.optional(o, "noNewPrivileges", path, (x, p) => r.boolean(x, p)),
    apparmorProfile: r.optional(o, "apparmorProfile", path, (x, p) => r.string(x, p)),
    oomScoreAdj: r.optional(o, "oomScoreAdj", path, (x, p) => r.integer(x, p, -1000, 1000)),
  });
}

function readUser(r: JsonReader, v: unknown, path: string): User {
  const o = r.object(v, path);
  const id = (x: unknown, p: string) => r.integer(x, p, 0, UINT32_MAX);
  return compact({
    uid: r.required(o, "uid", path, id),
    gid: r.required(o, "gid", path, id),
    umask: r.optional(o, "umask", path, (x, p) => r.integer(x, p, 0, 0o777)),
    additionalGids: r.optional(o, "additionalGids", path, (x, p) => r.list(x, p, id)),
    username: r.optional(o, "username", path, (x, p) => r.string(x, p)),
  });
}

function readCapabilities(r: JsonReader, v: unknown, path: string): Capabilities {
  const o = r.object(v, path);
  const names = (x: unknown, p: string) =>
    r.list(x, p, (e, q) => {
      const s = r.string(e, q);
      if (!CAPABILITIES.has(s)) r.fail(q, `unknown capability "${s}"`);
      return s;
    });
  return compact({
    bounding: r.optional(o, "bounding", path, names),
    effective: r.optional(o, "effective", path, names),
    inheritable: r.optional(o, "inheritable", path, names),
    permitted: r.optional(o, "permitted", path, names),
    ambient: r.optional(o, "ambient", path, names),
  });
}

function readRlimit(r: JsonReader, v: unknown, path: string): Rlimit {
  const o = r.object(v, path);
  const type = r.required(o, "type", path, (x, p) => r.string(x, p));
  if (!RLIMITS.has(type)) r.fail(`${path}.type`, `unknown rlimit "${type}"`);
  const limit = (x: unknown, p: string) => r.integer(x, p, 0, Number.MAX_VALUE);
  const soft = r.required(o, "soft", path, limit);
  const hard = r.required(o, "hard", path, limit);
  if (soft > hard) r.fail(`${path}.soft`, "must not exceed hard");
  return { type, soft, hard };
}

function readRoot(r: JsonReader, v: unknown, path: string): Root {
  const o = r.object(v, path);
  const p = r.required(o, "path", path, (x, q) => r.string(x, q));
  if (p === "") r.fail(`${path}.path`, "must not be empty");
  return compact({ path: p, readonly: r.optional(o, "readonly", path, (x, q) => r.boolean(x, q)) });
}

function readMount(r: JsonReader, v: unknown, path: string): Mount {
  const o = r.object(v, path);
  const idmapped = "idmapped mounts are not supported; map ids in the image instead";
  r.refuse(o, "uidMappings", path, idmapped);
  r.refuse(o, "gidMappings", path, idmapped);
  const options = r.optional(o, "options", path, (x, p) => r.strings(x, p));
  const idmap = options?.findIndex((opt) => opt === "idmap" || opt === "ridmap") ?? -1;
  if (idmap >= 0) r.unsupported(`${path}.options[${idmap}]`, idmapped);
  return compact({
    destination: r.required(o, "destination", path, (x, p) => r.absolutePath(x, p)),
    source: r.optional(o, "source", path, (x, p) => r.string(x, p)),
    type: r.optional(o, "type", path, (x, p) => r.string(x, p)),
    options,
  });
}

function readHooks(r: JsonReader, v: unknown, path: string): Hooks {
  const o = r.object(v, path);
  const hook = (x: unknown, p: string): Hook => {
    const h = r.object(x, p);
    return compact({
      path: r.required(h, "path", p, (y, q) => r.absolutePath(y, q)),
      args: r.optional(h, "args", p, (y, q) => r.strings(y, q)),
      env: r.optional(h, "env", p, (y, q) => r.strings(y, q)),
      timeout: r.optional(h, "timeout", p, (y, q) => r.integer(y, q, 1)),
    });
  };
  const hooks = (x: unknown, p: string) => r.list(x, p, hook);
  return compact({
    prestart: r.optional(o, "prestart", path, hooks),
    createRuntime: r.optional(o, "createRuntime", path, hooks),
    createContainer: r.optional(o, "createContainer", path, hooks),
    startContainer: r.optional(o, "startContainer", path, hooks),
    poststart: r.optional(o, "poststart", path, hooks),
    poststop: r.optional(o, "poststop", path, hooks),
  });
}

function readLinux(r: JsonReader, v: unknown, path: string): Linux {
  const o = r.object(v, path);
  r.refuse(o, "intelRdt", path, "Intel RDT (resctrl) is not managed by this runtime");
  r.refuse(o, "mountLabel", path, "this runtime applies no SELinux labels; leave it out");
  r.refuse(o, "personality", path, "execution domains are not set by this runtime");
  r.refuse(o, "memoryPolicy", path, "NUMA memory policies are not set by this runtime; use linux.resources.cpu.mems");
  r.refuse(o, "netDevices", path, "this runtime moves no network devices; give the container its network through a namespace path");
  const paths = (x: unknown, p: string) => r.list(x, p, (e, q) => r.absolutePath(e, q));
  const idMappings = (x: unknown, p: string) =>
    r.list(x, p, (e, q): IdMapping => {
      const m = r.object(e, q);
      const n = (y: unknown, s: string) => r.integer(y, s, 0, UINT32_MAX);
      return { containerID: r.required(m, "containerID", q, n), hostID: r.required(m, "hostID", q, n), size: r.required(m, "size", q, n) };
    });
  return compact({
    namespaces: r.optional(o, "namespaces", path, (x, p) => readNamespaces(r, x, p)),
    uidMappings: r.optional(o, "uidMappings", path, idMappings),
    gidMappings: r.optional(o, "gidMappings", path, idMappings),
    devices: r.optional(o, "devices", path, (x, p) => r.list(x, p, (e, q) => readDevice(r, e, q))),
    cgroupsPath: r.optional(o, "cgroupsPath", path, (x, p) => r.string(x, p)),
    resources: r.optional(o, "resources", path, (x, p) => readResources(r, x, p)),
    rootfsPropagation: r.optional(o, "rootfsPropagation", path, (x, p) =>
      r.oneOf(x, p, [...PROPAGATION_FLAGS.keys()] as NonNullable<Linux["rootfsPropagation"]>[]),
    ),
    maskedPaths: r.optional(o, "maskedPaths", path, paths),
    readonlyPaths: r.optional(o, "readonlyPaths", path, paths),
    sysctl: r.optional(o, "sysctl", path, (x, p) => r.stringMap(x, p)),
    seccomp: r.optional(o, "seccomp", path, (x, p) => readSeccomp(r, x, p)),
    timeOffsets: r.optional(o, "timeOffsets", path, (x, p) => {
      const t = r.object(x, p);
      for (const clock of Object.keys(t)) if (clock !== "monotonic" && clock !== "boottime") r.fail(`${p}.${clock}`, "only monotonic and boottime have offsets");
      const offset = (y: unknown, q: string) => {
        const c = r.object(y, q);
        return compact({ secs: r.optional(c, "secs", q, (z, s) => r.integer(z, s)), nanosecs: r.optional(c, "nanosecs", q, (z, s) => r.integer(z, s, 0, 999_999_999)) });
      };
      return compact({ monotonic: r.optional(t, "monotonic", p, offset), boottime: r.optional(t, "boottime", p, offset) });
    }),
  });
}

function readNamespaces(r: JsonReader, v: unknown, path: string): Namespace[] {
  const seen = new Set<string>();
  return r.list(v, path, (e, p) => {
    const o = r.object(e, p);
    const type = r.required(o, "type", p, (x, q) => r.oneOf(x, q, NAMESPACE_TYPES));
    if (seen.has(type)) r.fail(`${p}.type`, `namespace "${type}" is listed twice`);
    seen.add(type);
    return compact({ type, path: r.optional(o, "path", p, (x, q) => r.absolutePath(x, q)) });
  });
}

function readDevice(r: JsonReader, v: unknown, path: string): Device {
  const o = r.object(v, path);
  const type = r.required(o, "type", path, (x, p) => r.oneOf(x, p, ["c", "b", "u", "p"] as const));
  const num = (x: unknown, p: string) => r.integer(x, p, 0, UINT32_MAX);
  const needsNumbers = type !== "p";
  const read = needsNumbers ? r.required.bind(r) : r.optional.bind(r);
  return compact({
    type,
    path: r.required(o, "path", path, (x, p) => r.absolutePath(x, p)),
    major: read(o, "major", path, num),
    minor: read(o, "minor", path, num),
    fileMode: r.optional(o, "fileMode", path, (x, p) => r.integer(x, p, 0, 0o7777)),
    uid: r.optional(o, "uid", path, num),
    gid: r.optional(o, "gid", path, num),
  });
}

/** Rules that span several fields. */
function checkConsistency(r: JsonReader, spec: Spec): void {
  const namespaces = spec.linux?.namespaces ?? [];
  const has = (t: NamespaceType) => namespaces.some((n) => n.type === t);
  const user = namespaces.find((n) => n.type === "user");
  // A joined namespace has its maps already; any the spec gives must be those (checked at create).
  if (user && user.path === undefined && !(spec.linux?.uidMappings?.length && spec.linux?.gidMappings?.length)) {
    r.fail("linux.uidMappings", "a new user namespace needs uidMappings and gidMappings");
  }
  if (spec.linux?.timeOffsets && !namespaces.some((n) => n.type === "time" && n.path === undefined)) {
    r.fail("linux.timeOffsets", "requires a new time namespace (linux.namespaces: {\"type\": \"time\"} without a path)");
  }
  if (!has("mount")) r.fail("linux.namespaces", "must include a mount namespace");
  if (!user && (spec.linux?.uidMappings?.length || spec.linux?.gidMappings?.length)) {
    r.fail("linux.uidMappings", "requires a user namespace");
  }
  if (spec.hostname !== undefined && spec.hostname !== "" && !has("uts")) r.fail("hostname", "requires a uts namespace");
  if (spec.domainname !== undefined && spec.domainname !== "" && !has("uts")) r.fail("domainname", "requires a uts namespace");
  for (const key of Object.keys(spec.linux?.sysctl ?? {})) {
    const fault = checkSysctl(key, has);
    if (fault) r.fail(`linux.sysctl.${key}`, fault);
  }
}
