// docker's --log-driver and --log-opt: json-file, local and none, with max-size and
// max-file rotation carried out by the container's monitor (the shim's log writer).
import { MydockerError } from "../../util/errors.js";
import type { LogConfig } from "../container-config.js";
import { parseBytes } from "../resource-flags.js";

const DRIVERS = new Set(["json-file", "local", "none"]);
const OPTIONS = new Set(["max-size", "max-file"]);
/** docker's local driver keeps 5 files of 20 MiB unless told otherwise. */
const LOCAL_DEFAULTS = { maxBytes: 20 * 2 ** 20, maxFiles: 5 };

/** How the monitor writes the log: undefined for none. maxBytes 0: never rotated. */
export interface LogSettings {
  maxBytes: number;
  maxFiles: number;
}

function fail(message: string): never {
  throw new MydockerError("EINVAL", message);
}

export function logConfigFromFlags(driver: string | undefined, opts: readonly string[]): LogConfig {
  const type = driver ?? "json-file";
  if (!DRIVERS.has(type)) fail(`unknown log driver '${type}': mydocker has json-file, local and none`);
  const config: Record<string, string> = {};
  for (const o of opts) {
    const eq = o.indexOf("=");
    if (eq < 0) fail(`invalid log opt '${o}': use KEY=VALUE`);
    config[o.slice(0, eq)] = o.slice(eq + 1);
  }
  const log = { Type: type as LogConfig["Type"], Config: config };
  logSettings(log);
  return log;
}

/** The rotation the monitor carries out; refuses what mydocker's drivers do not do. */
export function logSettings(log: LogConfig): LogSettings | undefined {
  for (const key of Object.keys(log.Config)) {
    if (log.Type === "none") fail(`unknown log opt '${key}' for none log driver`);
    if (!OPTIONS.has(key)) fail(`unknown log opt '${key}' for ${log.Type} log driver: mydocker supports max-size and max-file`);
  }
  if (log.Type === "none") return undefined;
  const size = log.Config["max-size"];
  const files = log.Config["max-file"];
  const defaults = log.Type === "local" ? LOCAL_DEFAULTS : { maxBytes: 0, maxFiles: 1 };
  let maxBytes = defaults.maxBytes;
  if (size !== undefined && size !== "-1") {
    const n = parseBytes(size);
    if (n === undefined || n <= 0) fail(`invalid max-size '${size}': use a size like 10m`);
    maxBytes = n;
  }
  let maxFiles = defaults.maxFiles;
  if (files !== undefined) {
    if (!/^\d+$/.test(files) || Number(files) < 1) fail(`invalid max-file '${files}': max-file cannot be less than 1`);
    maxFiles = Number(files);
    if (maxFiles > 1 && maxBytes === 0) fail("max-file cannot be set if max-size is not set");
  }
  return { maxBytes, maxFiles };
}

/** docker logs of a container whose driver keeps nothing. */
export function checkLogsReadable(log: LogConfig | undefined): void {
  if (log?.Type === "none") throw new MydockerError("ENOLOGS", "configured logging driver does not support reading", 1);
}
