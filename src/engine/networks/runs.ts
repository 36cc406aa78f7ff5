// The network runs of an engine root, as directories under its run root: `.net/ID` is
// container ID's current run (its pinned namespace, netavark's input and answer); a teardown
// first renames it into `.net-gone/`, under a name that says which process took it, so that
// exactly one caller releases a run, a later run of the same container is never touched,
// and a teardown whose process was killed is found and finished by the next sweep.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { isErrno } from "../../util/errors.js";
import { isSameProcess, processStartTime } from "../../runtime/index.js";
import type { NetavarkConfig, NetavarkResult } from "../../network/types.js";
import type { PublishedPort } from "../../network/ports.js";
import type { NetworkRun } from "./settings.js";

/** In a run's directory: the ports its monitor publishes (none: no file). */
export const PORTS_FILE = "ports.json";

/** A run taken for teardown: its directory and the container it was of. */
export interface ClaimedRun {
  dir: string;
  id: string;
}

/** This process, as it is named in the directories it takes: `PID.STARTTIME`. */
function ownerTag(): string {
  return `${process.pid}.${processStartTime(process.pid) ?? "0"}`;
}

/** Whether the process named in a taken directory's name (`ID.PID.START.RAND`) is alive. */
export function ownerAlive(name: string): boolean {
  const parts = name.split(".");
  if (parts.length < 4) return false;
  return isSameProcess(Number(parts[1]), parts[2]!);
}

/** A fresh id for one run's netavark description: runs of a container never share firewall chains. */
export function runTag(): string {
  return crypto.randomBytes(32).toString("hex");
}

export function readRun(dir: string): NetworkRun | undefined {
  let config: NetavarkConfig;
  try {
    config = JSON.parse(fs.readFileSync(path.join(dir, "netavark.json"), "utf8")) as NetavarkConfig;
  } catch {
    return undefined;
  }
  let result: NetavarkResult = {};
  try {
    result = JSON.parse(fs.readFileSync(path.join(dir, "result.json"), "utf8")) as NetavarkResult;
  } catch {
    // Setup had not answered yet.
  }
  let ports: PublishedPort[] = [];
  try {
    ports = JSON.parse(fs.readFileSync(path.join(dir, PORTS_FILE), "utf8")) as PublishedPort[];
  } catch {
    // None published.
  }
  return { config, result, ports };
}

/** Records the ports a run publishes (before its monitor starts: port, ps and inspect read them). */
export function savePorts(dir: string, ports: readonly PublishedPort[]): void {
  if (ports.length) fs.writeFileSync(path.join(dir, PORTS_FILE), JSON.stringify(ports));
}

export function saveRun(dir: string, config: NetavarkConfig, result: NetavarkResult): void {
  fs.writeFileSync(path.join(dir, "netavark.json.new"), JSON.stringify(config));
  fs.renameSync(path.join(dir, "netavark.json.new"), path.join(dir, "netavark.json"));
  fs.writeFileSync(path.join(dir, "result.json"), JSON.stringify(result));
}

export class NetworkRuns {
  readonly current: string;
  readonly gone: string;

  constructor(runRoot: string) {
    this.current = path.join(runRoot, ".net");
    this.gone = path.join(runRoot, ".net-gone");
  }

  dir(id: string): string {
    return path.join(this.current, id);
  }

  /** Containers with a current run, by id. */
  ids(): string[] {
    try {
      return fs.readdirSync(this.current);
    } catch {
      return [];
    }
  }

  /**
   * Takes container id's current run for teardown; with tag, only the run of that tag (a
   * later run of the container is left alone). undefined: nothing of it to release.
   */
  claim(id: string, tag?: string): ClaimedRun | undefined {
    const from = this.dir(id);
    if (tag !== undefined && readRun(from)?.config.container_id !== tag) return undefined;
    fs.mkdirSync(this.gone, { recursive: true, mode: 0o700 });
    const to = path.join(this.gone, `${id}.${ownerTag()}.${crypto.randomBytes(4).toString("hex")}`);
    try {
      fs.renameSync(from, to);
    } catch (e) {
      if (isErrno(e, "ENOENT")) return undefined;
      throw e;
    }
    // Checked again once taken: a new run may have replaced the one read above meanwhile.
    if (tag !== undefined && readRun(to)?.config.container_id !== tag) {
      try {
        fs.renameSync(to, from);
      } catch {
        // Another run is current already: this one is released below after all.
        return { dir: to, id };
      }
      return undefined;
    }
    return { dir: to, id };
  }

  /** The names of the teardowns in progress (or left by a killed process). */
  inFlight(): string[] {
    try {
      return fs.readdirSync(this.gone);
    } catch {
      return [];
    }
  }

  /**
   * Waits (up to a deadline) until no live process is tearing down a run (of container id):
   * as docker's rm, which returns once the container is off its networks, so a network rm
   * after it finds no endpoint and records its destroy after the disconnect.
   */
  async settled(id?: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    const busy = () => this.inFlight().some((n) => (id === undefined || n.startsWith(`${id}.`)) && ownerAlive(n));
    while (busy() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  /** Teardowns whose process died before they ended: taken over by this process. */
  orphans(): ClaimedRun[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.gone);
    } catch {
      return [];
    }
    const out: ClaimedRun[] = [];
    for (const name of names) {
      if (ownerAlive(name)) continue;
      const id = name.split(".")[0]!;
      const to = path.join(this.gone, `${id}.${ownerTag()}.${crypto.randomBytes(4).toString("hex")}`);
      try {
        fs.renameSync(path.join(this.gone, name), to);
        out.push({ dir: to, id });
      } catch {
        // Another sweep took it first.
      }
    }
    return out;
  }

  /** Seconds since a current run's directory was made. */
  ageSeconds(id: string): number {
    const st = fs.statSync(this.dir(id), { throwIfNoEntry: false });
    return st ? (Date.now() - st.mtimeMs) / 1000 : 0;
  }
}
