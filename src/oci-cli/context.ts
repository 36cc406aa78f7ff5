// What every myrunc command shares: the global flags, the log, and the runtime over --root.
import fs from "node:fs";
import path from "node:path";
import { detectCgroupDriver } from "../cgroups/index.js";
import { Runtime } from "../runtime/index.js";
import { MydockerError } from "../util/errors.js";
import { OciLog, type LogFormat } from "./log.js";

export const DEFAULT_ROOT = "/run/myrunc";

export interface GlobalOptions {
  root?: string;
  log?: string;
  logFormat?: string;
  debug?: boolean;
  systemdCgroup?: boolean;
}

export class OciContext {
  readonly log: OciLog;
  readonly root: string;
  private rt?: Runtime;

  constructor(private readonly opts: GlobalOptions) {
    const format = opts.logFormat ?? "text";
    if (format !== "text" && format !== "json") throw new MydockerError("invalid-flag", `invalid log format "${format}": text or json`);
    this.log = new OciLog(opts.log, format as LogFormat, opts.debug ?? false);
    // Absolute, as runc makes it: the state directory's paths go into plans that the shim
    // runs from "/" (a relative --root made create fail at the exec FIFO).
    this.root = path.resolve(opts.root ?? DEFAULT_ROOT);
  }

  /** The runtime, made on first use (commands such as spec and features need none). */
  runtime(): Runtime {
    if (this.opts.systemdCgroup) {
      const why = fs.existsSync("/run/systemd/system") ? "myrunc manages cgroups through cgroupfs only" : "systemd is not running on this host";
      throw new MydockerError("unsupported", `--systemd-cgroup is not supported: ${why}; leave the flag out (containerd: SystemdCgroup = false)`);
    }
    // Every shim myrunc starts has its stdio and ends with its container (create hands it off).
    this.rt ??= new Runtime({ runRoot: this.root, cgroups: detectCgroupDriver, vforkShims: true, debug: (m) => this.log.debug(m), warn: (m) => this.log.warn(m) });
    return this.rt;
  }
}
