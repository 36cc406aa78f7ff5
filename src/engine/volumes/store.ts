// Named volumes of the local driver: a row in the engine's SQLite store and a directory
// <root>/volumes/<name>/_data. Anonymous volumes get a 64-hex name and docker's label.
import fs from "node:fs";
import path from "node:path";
import type { Db } from "../../store/db.js";
import { FlagError, MydockerError } from "../../util/errors.js";
import { generateId } from "../names.js";
import { treeSize } from "../disk-usage.js";
import type { EventsService } from "../events/service.js";

/** Docker (23+) marks volumes created for a container's anonymous mounts with this label. */
export const ANONYMOUS_LABEL = "com.docker.volume.anonymous";

/** `docker volume inspect`'s shape. */
export interface Volume {
  Name: string;
  Driver: "local";
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Scope: "local";
  Options: Record<string, string>;
}

export interface VolumeCreateOptions {
  labels?: Record<string, string>;
  driver?: string;
}

export interface VolumeFilters {
  /** Substring of the name. */
  name?: string[];
  /** `key` or `key=value`; all must match. */
  label?: string[];
  driver?: string[];
  /** true: used by no container; false: used by one. Needs the usedBy argument of list(). */
  dangling?: boolean;
}

/** The ids of the containers (running or not) that mount a volume. */
export type VolumeUsers = (name: string) => string[];

interface Row {
  name: string;
  labels: string;
  options: string;
  created_at: string;
}

const VALID_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function isAnonymous(v: Volume): boolean {
  return ANONYMOUS_LABEL in v.Labels;
}

// `--filter key=value` values of `docker volume ls` / `prune`.
export function parseVolumeFilters(args: readonly string[]): VolumeFilters {
  const f: VolumeFilters = {};
  for (const arg of args) {
    const eq = arg.indexOf("=");
    const key = arg.slice(0, eq);
    const value = arg.slice(eq + 1);
    if (eq < 0) throw new FlagError("EINVAL", `bad format of filter (expected name=value)`);
    if (key === "name" || key === "label" || key === "driver") (f[key] ??= []).push(value);
    else if (key === "dangling" && ["true", "1", "false", "0"].includes(value)) f.dangling = value === "true" || value === "1";
    else if (key === "dangling") throw new MydockerError("EINVAL", `invalid filter 'dangling=${value}'`);
    else throw new MydockerError("EINVAL", `invalid filter '${key}'`);
  }
  return f;
}

function matchesLabel(labels: Record<string, string>, filter: string): boolean {
  const eq = filter.indexOf("=");
  return eq < 0 ? Object.hasOwn(labels, filter) : Object.hasOwn(labels, filter.slice(0, eq)) && labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

export class VolumeStore {
  constructor(
    private readonly db: Db,
    private readonly root: string,
    private readonly events?: Pick<EventsService, "record">,
  ) {}

  dataDir(name: string): string {
    return path.join(this.root, "volumes", name, "_data");
  }

  private toVolume(r: Row): Volume {
    return {
      Name: r.name,
      Driver: "local",
      Mountpoint: this.dataDir(r.name),
      CreatedAt: r.created_at,
      Labels: JSON.parse(r.labels) as Record<string, string>,
      Scope: "local",
      Options: JSON.parse(r.options) as Record<string, string>,
    };
  }

  get(name: string): Volume | undefined {
    const r = this.db.prepare("SELECT * FROM volumes WHERE name = ?").get(name) as Row | undefined;
    return r && this.toVolume(r);
  }

  /** Like docker, creating an existing volume returns it unchanged. No name: anonymous. */
  create(name?: string, opts: VolumeCreateOptions = {}): Volume {
    const anonymous = name === undefined;
    const volName = name ?? generateId();
    const driver = opts.driver ?? "local";
    if (driver !== "local") {
      throw new MydockerError("EINVAL", `create ${volName}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    }
    if (!VALID_NAME.test(volName)) {
      throw new MydockerError(
        "EINVAL",
        `create ${volName}: "${volName}" includes invalid characters for a local volume name, ` +
          `only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
      );
    }
    const labels = { ...(opts.labels ?? {}), ...(anonymous ? { [ANONYMOUS_LABEL]: "" } : {}) };
    fs.mkdirSync(path.join(this.root, "volumes"), { recursive: true, mode: 0o701 });
    fs.mkdirSync(this.dataDir(volName), { recursive: true, mode: 0o755 });
    const r = this.db
      .prepare("INSERT OR IGNORE INTO volumes (name, labels, options, created_at) VALUES (?, ?, ?, ?)")
      .run(volName, JSON.stringify(labels), "{}", new Date().toISOString().replace(/\.\d+Z$/, "Z"));
    if (r.changes === 1) this.events?.record({ Type: "volume", Action: "create", id: volName, attributes: { driver } });
    return this.get(volName)!;
  }

  /** `docker volume inspect`. */
  inspect(name: string): Volume {
    const v = this.get(name);
    if (!v) throw new MydockerError("ENOVOLUME", `No such volume: ${name}`, 1);
    return v;
  }

  /** Sorted by name. */
  list(filters: VolumeFilters = {}, usedBy?: VolumeUsers): Volume[] {
    const rows = this.db.prepare("SELECT * FROM volumes ORDER BY name").all() as Row[];
    return rows.map((r) => this.toVolume(r)).filter((v) => {
      if (filters.name && !filters.name.some((n) => v.Name.includes(n))) return false;
      if (filters.driver && !filters.driver.includes(v.Driver)) return false;
      if (filters.label && !filters.label.every((l) => matchesLabel(v.Labels, l))) return false;
      if (filters.dangling !== undefined) {
        if (!usedBy) throw new Error("VolumeStore.list: the dangling filter needs usedBy");
        if ((usedBy(v.Name).length === 0) !== filters.dangling) return false;
      }
      return true;
    });
  }

  /** `docker volume rm`: refused while a container uses it; force only hides "no such volume". */
  remove(name: string, usedBy: VolumeUsers, opts: { force?: boolean } = {}): void {
    if (!this.get(name)) {
      if (opts.force) return;
      throw new MydockerError("ENOVOLUME", `get ${name}: no such volume`, 1);
    }
    const users = usedBy(name);
    if (users.length > 0) {
      throw new MydockerError("EVOLUMEINUSE", `remove ${name}: volume is in use - [${users.join(" ")}]`, 1);
    }
    this.db.prepare("DELETE FROM volumes WHERE name = ?").run(name);
    fs.rmSync(path.dirname(this.dataDir(name)), { recursive: true, force: true });
    this.events?.record({ Type: "volume", Action: "destroy", id: name, attributes: { driver: "local" } });
  }

  /** `docker volume prune`: unused anonymous volumes, or all unused ones with `all`. */
  prune(usedBy: VolumeUsers, opts: { all?: boolean; filters?: VolumeFilters } = {}): { deleted: string[]; spaceReclaimed: number } {
    const deleted: string[] = [];
    let spaceReclaimed = 0;
    for (const v of this.list({ ...opts.filters, dangling: true }, usedBy)) {
      if (!opts.all && !isAnonymous(v)) continue;
      spaceReclaimed += treeSize(v.Mountpoint);
      this.remove(v.Name, usedBy);
      deleted.push(v.Name);
    }
    return { deleted, spaceReclaimed };
  }
}
