// docker's `-v`, `--mount` and `--tmpfs` flags, parsed and validated with docker's error
// texts into typed mount requests. Volumes are looked up and created later (volume-mounts.ts).
import fs from "node:fs";
import path from "node:path";
import { MydockerError } from "../../util/errors.js";
import { mergeTmpfsOptions, ramInBytes, tmpfsData, TMPFS_DEFAULTS } from "../tmpfs-options.js";

export type Propagation = "private" | "rprivate" | "shared" | "rshared" | "slave" | "rslave";
const PROPAGATIONS = new Set<string>(["private", "rprivate", "shared", "rshared", "slave", "rslave"]);

export interface BindSpec {
  type: "bind";
  source: string;
  target: string;
  readonly: boolean;
  propagation: Propagation;
  /** `bind-nonrecursive`: a plain bind instead of rbind. */
  nonRecursive: boolean;
  /** `-v` creates a missing host directory; `--mount` refuses it at parse time. */
  createSource: boolean;
}

export interface VolumeMountSpec {
  type: "volume";
  /** undefined: an anonymous volume, created with a random 64-hex name. */
  name: string | undefined;
  target: string;
  readonly: boolean;
  /** Do not fill a new (empty) volume from the image's content at target. */
  nocopy: boolean;
  /** Labels for a volume this mount creates. */
  labels: Record<string, string>;
}

export interface TmpfsSpec {
  type: "tmpfs";
  target: string;
  /** Merged mount options, docker's defaults first (noexec,nosuid,nodev,rprivate). */
  options: string[];
}

export type VolumeSpec = BindSpec | VolumeMountSpec | TmpfsSpec;

const invalid = (message: string) => new MydockerError("EINVAL", message);

// Everything docker checks before creating a container (volume/mounts/linux_parser.go).
function validateTarget(target: string): string {
  if (path.posix.normalize(target) === "/") return "invalid specification: destination can't be '/'";
  if (!path.posix.isAbsolute(target)) return `invalid mount path: '${target}' mount path must be absolute`;
  return "";
}

function mountConfigError(type: string, problem: string): MydockerError {
  return invalid(`invalid mount config for type "${type}": ${problem}`);
}

function clean(p: string): string {
  return path.posix.normalize(p).replace(/(.)\/$/, "$1");
}

// ---- -v / --volume ----

const RW_MODES = new Set(["rw", "ro"]);
const LABEL_MODES = new Set(["z", "Z"]);
const CONSISTENCY_MODES = new Set(["consistent", "cached", "delegated"]);

function modeKind(o: string): string | undefined {
  if (RW_MODES.has(o)) return "rw";
  if (LABEL_MODES.has(o)) return "label";
  if (PROPAGATIONS.has(o)) return "propagation";
  if (o === "nocopy") return "copy";
  if (CONSISTENCY_MODES.has(o)) return "consistency";
  return undefined;
}

// At most one option of each kind, all known.
function validMode(mode: string): boolean {
  if (mode === "") return true;
  const kinds = new Set<string>();
  for (const o of mode.split(",")) {
    const kind = modeKind(o);
    if (kind === undefined || kinds.has(kind)) return false;
    kinds.add(kind);
  }
  return true;
}

/** `-v /host:/ctr[:opts]`, `-v name:/ctr[:opts]` or `-v /ctr` (an anonymous volume). */
export function parseVolumeFlag(raw: string): VolumeSpec {
  const badSpec = `invalid volume specification: '${raw}'`;
  const arr = raw.split(":");
  if (arr[0] === "" || arr.length > 3) throw invalid(badSpec);
  if (arr.length === 2 && validMode(arr[1])) throw invalid(badSpec); // "/foo:rw" names no source
  const [source, target] = arr.length === 1 ? ["", arr[0]] : [arr[0], arr[1]];
  const mode = arr[2] ?? "";
  if (!validMode(mode)) throw invalid(`invalid mode: ${mode}`);
  const opts = mode === "" ? [] : mode.split(",");
  const readonly = opts.includes("ro");
  const propagation = opts.find((o) => PROPAGATIONS.has(o)) as Propagation | undefined;
  const nocopy = opts.includes("nocopy");
  const type = path.posix.isAbsolute(source) ? "bind" : "volume";
  const fail = (problem: string) => invalid(`${badSpec}: ${mountConfigError(type, problem).message}`);
  const targetProblem = validateTarget(target);
  if (targetProblem) throw fail(targetProblem);
  if (type === "bind") {
    if (nocopy) throw fail("field VolumeOptions must not be specified");
    return {
      type, source: clean(source), target: clean(target), readonly,
      propagation: propagation ?? "rprivate", nonRecursive: false, createSource: true,
    };
  }
  if (propagation) throw fail("field BindOptions must not be specified");
  return { type, name: source || undefined, target: clean(target), readonly, nocopy, labels: {} };
}

// ---- --mount ----

// Go's encoding/csv for one record: commas separate, double quotes group ("" is a quote).
function splitCsv(value: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === '"' && value[i + 1] === '"') field += value[++i];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      fields.push(field);
      field = "";
    } else field += c;
  }
  fields.push(field);
  return fields;
}

// Go's strconv.ParseBool.
function parseBool(v: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(v)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(v)) return false;
  return undefined;
}

interface RawMount {
  type: string;
  source: string;
  target: string;
  readonly: boolean;
  volume?: { nocopy: boolean; labels: Record<string, string> };
  bind?: { propagation?: string; nonRecursive: boolean };
  tmpfs?: { sizeBytes?: number; mode?: number };
}

// The docker CLI's side: turn the CSV into fields (cli/opts/mount.go).
function readMountFields(value: string): RawMount {
  const m: RawMount = { type: "volume", source: "", target: "", readonly: false };
  const volume = () => (m.volume ??= { nocopy: false, labels: {} });
  const bind = () => (m.bind ??= { nonRecursive: false });
  const tmpfs = () => (m.tmpfs ??= {});
  const bool = (key: string, val: string) => {
    const b = parseBool(val);
    if (b === undefined) throw invalid(`invalid value for ${key}: ${val}`);
    return b;
  };
  for (const field of splitCsv(value)) {
    const eq = field.indexOf("=");
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const val = eq < 0 ? "" : field.slice(eq + 1);
    if (eq < 0) {
      if (key === "readonly" || key === "ro") m.readonly = true;
      else if (key === "volume-nocopy") volume().nocopy = true;
      else if (key === "bind-nonrecursive") bind().nonRecursive = true;
      else throw invalid(`invalid field '${field}' must be a key=value pair`);
      continue;
    }
    switch (key) {
      case "type": m.type = val.toLowerCase(); break;
      case "source": case "src":
        m.source = val === "." || val.startsWith("./") ? path.resolve(val) : val;
        break;
      case "target": case "dst": case "destination": m.target = val; break;
      case "readonly": case "ro": m.readonly = bool(key, val); break;
      case "consistency": break; // meaningful on macOS only
      case "bind-propagation": bind().propagation = val.toLowerCase(); break;
      case "bind-nonrecursive": bind().nonRecursive = bool(key, val); break;
      case "volume-nocopy": volume().nocopy = bool(key, val); break;
      case "volume-label": {
        const [k, ...v] = val.split("=");
        if (k !== "") volume().labels[k] = v.join("=");
        break;
      }
      case "tmpfs-size": {
        const size = ramInBytes(val);
        if (size === undefined) throw invalid(`invalid value for ${key}: ${val}`);
        tmpfs().sizeBytes = size;
        break;
      }
      case "tmpfs-mode": {
        if (!/^[0-7]+$/.test(val) || parseInt(val, 8) > 0xffffffff) throw invalid(`invalid value for ${key}: ${val}`);
        tmpfs().mode = parseInt(val, 8);
        break;
      }
      default: throw invalid(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (m.type === "") throw invalid("type is required");
  if (m.target === "") throw invalid("target is required");
  for (const [opts, kind] of [[m.volume, "volume"], [m.bind, "bind"], [m.tmpfs, "tmpfs"]] as const) {
    if (opts && m.type !== kind) throw invalid(`cannot mix '${kind}-*' options with mount type '${m.type}'`);
  }
  return m;
}

/** `--mount type=bind|volume|tmpfs,source=…,target=…,readonly,…`; a bind's source must exist. */
export function parseMountFlag(value: string): VolumeSpec {
  const m = readMountFields(value);
  const fail = (problem: string) => mountConfigError(m.type, problem);
  const targetProblem = validateTarget(m.target);
  if (targetProblem) throw fail(targetProblem);
  const target = clean(m.target);
  switch (m.type) {
    case "bind": {
      if (m.source === "") throw fail("field Source must not be empty");
      const propagation = m.bind?.propagation ?? "rprivate";
      if (!PROPAGATIONS.has(propagation)) throw fail(`invalid propagation mode: ${propagation}`);
      if (!path.posix.isAbsolute(m.source)) throw fail(`invalid mount path: '${m.source}' mount path must be absolute`);
      if (!fs.existsSync(m.source)) throw fail(`bind source path does not exist: ${m.source}`);
      return {
        type: "bind", source: clean(m.source), target, readonly: m.readonly,
        propagation: propagation as Propagation, nonRecursive: m.bind?.nonRecursive ?? false, createSource: false,
      };
    }
    case "volume":
      if (m.readonly && m.source === "") throw fail("must not set ReadOnly mode when using anonymous volumes");
      return {
        type: "volume", name: m.source || undefined, target, readonly: m.readonly,
        nocopy: m.volume?.nocopy ?? false, labels: m.volume?.labels ?? {},
      };
    case "tmpfs":
      if (m.source !== "") throw fail("field Source must not be specified");
      return { type: "tmpfs", target, options: mergeTmpfsOptions([...TMPFS_DEFAULTS, ...tmpfsData({ readonly: m.readonly, ...m.tmpfs })]) };
    default:
      throw fail("mount type unknown");
  }
}

// ---- --tmpfs ----

/** `--tmpfs /run[:opts]`, options as for mount(8): `rw,size=64m,mode=1777`. */
export function parseTmpfsFlag(value: string): TmpfsSpec {
  const colon = value.indexOf(":");
  const target = colon < 0 ? value : value.slice(0, colon);
  const data = colon < 0 ? "" : value.slice(colon + 1);
  const problem = validateTarget(target);
  if (problem) throw invalid(problem);
  const options = mergeTmpfsOptions([...TMPFS_DEFAULTS, ...(data === "" ? [] : data.split(","))]);
  return { type: "tmpfs", target: clean(target), options };
}
