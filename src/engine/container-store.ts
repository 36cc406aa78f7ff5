// Containers in the SQLite store shared with images and volumes. The UNIQUE name column
// is what makes concurrent `run --name x` safe: exactly one insert wins.
import type { Db } from "../store/db.js";
import { MydockerError } from "../util/errors.js";
import type { ContainerConfig, HostConfig } from "./container-config.js";
import type { Health } from "./health/types.js";

/** How long a removed container's exit code is kept: long enough for any waiter to read it. */
const REMOVED_KEPT_MS = 10 * 60 * 1000;

export type EngineStatus = "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";

export interface ContainerState {
  status: EngineStatus;
  pid: number;
  exitCode: number;
  oomKilled: boolean;
  startedAt: string;
  finishedAt: string;
  error: string;
  /** update --restart changed the policy while it ran: the engine, not its monitor, restarts it at its next exit. */
  restartHandoff?: boolean;
  /** The health check's status and last results, as its monitor last wrote them (docker's State.Health). */
  health?: Health;
}

export interface ContainerRecord {
  id: string;
  name: string;
  image: string;
  imageId: string;
  created: string;
  config: ContainerConfig;
  hostConfig: HostConfig;
  state: ContainerState;
  restartCount: number;
}

/** The records that say they run: running, paused, restarting. */
const ACTIVE = "json_extract(state, '$.status') IN ('running', 'paused', 'restarting')";

/** A record's id, name, state and --cgroup-parent: what a listing of many containers (stats) reads, no configs parsed. */
export type ContainerListing = Pick<ContainerRecord, "id" | "name" | "state"> & { cgroupParent: string };

interface Row {
  id: string;
  name: string;
  image: string;
  image_id: string;
  created: string;
  config: string;
  host_config: string;
  state: string;
  restart_count: number;
}

function fromRow(r: Row): ContainerRecord {
  return {
    id: r.id,
    name: r.name,
    image: r.image,
    imageId: r.image_id,
    created: r.created,
    config: JSON.parse(r.config) as ContainerConfig,
    hostConfig: JSON.parse(r.host_config) as HostConfig,
    state: JSON.parse(r.state) as ContainerState,
    restartCount: r.restart_count,
  };
}

export function initialState(): ContainerState {
  return { status: "created", pid: 0, exitCode: 0, oomKilled: false, startedAt: "0001-01-01T00:00:00Z", finishedAt: "0001-01-01T00:00:00Z", error: "" };
}

export class ContainerStore {
  constructor(private readonly db: Db) {}

  insert(c: ContainerRecord): void {
    try {
      this.db
        .prepare(
          "INSERT INTO containers (id, name, image, image_id, created, config, host_config, state, restart_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .run(c.id, c.name, c.image, c.imageId, c.created, JSON.stringify(c.config), JSON.stringify(c.hostConfig), JSON.stringify(c.state), c.restartCount);
    } catch (e) {
      if ((e as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") {
        const other = this.db.prepare("SELECT id FROM containers WHERE name = ?").get(c.name) as { id: string } | undefined;
        throw new MydockerError(
          "ENAMEINUSE",
          `Conflict. The container name "/${c.name}" is already in use by container "${other?.id ?? "?"}". You have to remove (or rename) that container to be able to reuse that name.`,
        );
      }
      throw e;
    }
  }

  get(id: string): ContainerRecord | undefined {
    const r = this.db.prepare("SELECT * FROM containers WHERE id = ?").get(id) as Row | undefined;
    return r ? fromRow(r) : undefined;
  }

  /** Every container, newest first (docker's `ps` order). */
  all(): ContainerRecord[] {
    return (this.db.prepare("SELECT * FROM containers ORDER BY created DESC, rowid DESC").all() as Row[]).map(fromRow);
  }

  /** Containers whose record says they run (running, paused, restarting), newest first. */
  active(): ContainerRecord[] {
    return (
      this.db
        .prepare(
          `SELECT * FROM containers WHERE ${ACTIVE} ORDER BY created DESC, rowid DESC`,
        )
        .all() as Row[]
    ).map(fromRow);
  }

  /** active() (all() with all), as listings. */
  listings(all: boolean): ContainerListing[] {
    const where = all ? "" : `WHERE ${ACTIVE} `;
    const rows = this.db
      .prepare(`SELECT id, name, state, json_extract(host_config, '$.CgroupParent') AS cgroup_parent FROM containers ${where}ORDER BY created DESC, rowid DESC`)
      .all() as (Pick<Row, "id" | "name" | "state"> & { cgroup_parent: string | null })[];
    return rows.map((r) => ({ id: r.id, name: r.name, state: JSON.parse(r.state) as ContainerState, cgroupParent: r.cgroup_parent ?? "" }));
  }

  refs(): { id: string; name: string }[] {
    return this.db.prepare("SELECT id, name FROM containers").all() as { id: string; name: string }[];
  }

  /** Lookups through the primary key and the name's unique index: one row read, however many containers. */
  hasId(id: string): boolean {
    return this.db.prepare("SELECT 1 FROM containers WHERE id = ?").get(id) !== undefined;
  }

  idByName(name: string): string | undefined {
    return (this.db.prepare("SELECT id FROM containers WHERE name = ?").get(name) as { id: string } | undefined)?.id;
  }

  /** Up to limit ids that start with prefix (ids are lowercase hex: a range of the primary key). */
  idsWithPrefix(prefix: string, limit: number): string[] {
    if (!/^[0-9a-f]+$/.test(prefix)) return [];
    const rows = this.db.prepare("SELECT id FROM containers WHERE id >= ? AND id < ? ORDER BY id LIMIT ?").all(prefix, `${prefix}g`, limit) as { id: string }[];
    return rows.map((r) => r.id);
  }

  setState(id: string, state: ContainerState): void {
    this.db.prepare("UPDATE containers SET state = ? WHERE id = ?").run(JSON.stringify(state), id);
  }

  /**
   * Records the end of one run, once: true for the one caller (of any process) whose
   * update found the run still active; every other finisher of that run gets false.
   */
  claimFinish(id: string, startedAt: string, state: ContainerState): boolean {
    return this.replaceRun(id, startedAt, ["running", "paused", "restarting"], state);
  }

  /**
   * Writes state while the record still shows the run that began at startedAt, in one of
   * statuses: false when another process recorded something else of it meanwhile.
   */
  replaceRun(id: string, startedAt: string, statuses: EngineStatus[], state: ContainerState): boolean {
    const r = this.db
      .prepare(
        `UPDATE containers SET state = ? WHERE id = ? AND json_extract(state, '$.startedAt') = ? AND json_extract(state, '$.status') IN (${statuses.map(() => "?").join(", ")})`,
      )
      .run(JSON.stringify(state), id, startedAt, ...statuses);
    return r.changes === 1;
  }

  setRestartCount(id: string, n: number): void {
    this.db.prepare("UPDATE containers SET restart_count = ? WHERE id = ?").run(n, id);
  }

  setHostConfig(id: string, hc: HostConfig): void {
    this.db.prepare("UPDATE containers SET host_config = ? WHERE id = ?").run(JSON.stringify(hc), id);
  }

  rename(id: string, name: string): void {
    try {
      this.db.prepare("UPDATE containers SET name = ? WHERE id = ?").run(name, id);
    } catch (e) {
      if ((e as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") {
        throw new MydockerError("ENAMEINUSE", `Error when allocating new name: Conflict. The container name "/${name}" is already in use.`);
      }
      throw e;
    }
  }

  /** Deletes the record, keeping its last exit code for a while (lastExit); false when there was no such record (another command removed it first). */
  delete(id: string): boolean {
    const now = Date.now();
    return this.db.transaction(() => {
      this.db
        .prepare("INSERT OR REPLACE INTO removed_containers (id, exit_code, removed_at) SELECT id, json_extract(state, '$.exitCode'), ? FROM containers WHERE id = ?")
        .run(now, id);
      const deleted = this.db.prepare("DELETE FROM containers WHERE id = ?").run(id).changes === 1;
      this.db.prepare("DELETE FROM removed_containers WHERE removed_at < ?").run(now - REMOVED_KEPT_MS);
      return deleted;
    })();
  }

  /** The exit code of a container removed within the last REMOVED_KEPT_MS. */
  lastExit(id: string): number | undefined {
    return (this.db.prepare("SELECT exit_code FROM removed_containers WHERE id = ?").get(id) as { exit_code: number } | undefined)?.exit_code;
  }

  /** Containers that mount the named volume. */
  usingVolume(name: string): string[] {
    return (
      this.db.prepare("SELECT c.id FROM containers c, json_each(c.host_config, '$.Volumes') v WHERE v.value = ?").all(name) as { id: string }[]
    ).map((r) => r.id);
  }

  /** A container that uses the image (its short id), for rmi's refusal; undefined when none does. */
  firstUserOf(imageId: string): string | undefined {
    return this.usesImage(imageId)[0]?.slice(0, 12);
  }

  /** A running (or paused) container made from the image, by short id. */
  runningUserOf(imageId: string): string | undefined {
    return this.active().find((c) => c.imageId === imageId)?.id.slice(0, 12);
  }

  usesImage(imageId: string): string[] {
    return (this.db.prepare("SELECT id FROM containers WHERE image_id = ?").all(imageId) as { id: string }[]).map((r) => r.id);
  }
}
