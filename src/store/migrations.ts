// The database's schema, as a list of steps: the store's `PRAGMA user_version` says how many
// it has taken. A database made before versions existed (user_version 0) has some or all of
// the first step's tables, hence IF NOT EXISTS there; later steps change what exists.
import type Database from "better-sqlite3";
import { MydockerError } from "../util/errors.js";

const MIGRATIONS: readonly string[] = [
  // 1: images, layers, containers and volumes.
  `
  CREATE TABLE IF NOT EXISTS layers (
    diff_id TEXT PRIMARY KEY,          -- sha256 of the uncompressed layer tar
    size INTEGER NOT NULL,             -- bytes of that tar
    created_at TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY,               -- sha256 of config, the exact bytes below
    config TEXT NOT NULL,
    size INTEGER NOT NULL,             -- sum of the layer sizes
    created_at TEXT NOT NULL           -- when it entered this store
  );
  CREATE TABLE IF NOT EXISTS image_layers (
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,         -- 0 is the bottom layer
    diff_id TEXT NOT NULL REFERENCES layers(diff_id),
    PRIMARY KEY (image_id, position)
  );
  CREATE INDEX IF NOT EXISTS image_layers_diff_id ON image_layers(diff_id);
  CREATE TABLE IF NOT EXISTS image_names (
    name TEXT PRIMARY KEY,             -- docker.io/library/busybox:latest or repo@sha256:...
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE
  );
  CREATE INDEX IF NOT EXISTS image_names_image_id ON image_names(image_id);
  CREATE TABLE IF NOT EXISTS layer_blobs (
    digest TEXT PRIMARY KEY,           -- a compressed form of the layer, as a registry knows it
    diff_id TEXT NOT NULL REFERENCES layers(diff_id) ON DELETE CASCADE,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS containers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    image TEXT NOT NULL,
    image_id TEXT NOT NULL,
    created TEXT NOT NULL,
    config TEXT NOT NULL,
    host_config TEXT NOT NULL,
    state TEXT NOT NULL,
    restart_count INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX IF NOT EXISTS containers_image ON containers(image_id);
  CREATE TABLE IF NOT EXISTS volumes (
    name TEXT PRIMARY KEY,
    labels TEXT NOT NULL,
    options TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  `,
  // 2: operations in flight and the process that owns each (engine/pending-ops.ts).
  `
  CREATE TABLE IF NOT EXISTS pending_ops (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    pid INTEGER NOT NULL,
    start_time TEXT NOT NULL
  );
  `,
  // 3: a row per operation, not per container: a commit's freeze beside a foreground run.
  `
  CREATE TABLE pending_ops_by_kind (
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    pid INTEGER NOT NULL,
    start_time TEXT NOT NULL,
    PRIMARY KEY (id, kind, pid)
  );
  INSERT INTO pending_ops_by_kind SELECT id, kind, pid, start_time FROM pending_ops;
  DROP TABLE pending_ops;
  ALTER TABLE pending_ops_by_kind RENAME TO pending_ops;
  `,
  // 4: the engine's events (engine/events/), in the order recorded: seq is a live reader's
  // cursor. Only the oldest rows are ever deleted, so a rowid is never given out twice.
  `
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    time_us INTEGER NOT NULL,          -- Unix microseconds
    type TEXT NOT NULL,                -- container, image, volume, network, daemon
    action TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    attributes TEXT NOT NULL           -- JSON object of strings
  );
  `,
  // 5: docker's LogConfig in place of LogMaxSize, and the host options run/create gained
  // (ulimits, /dev/shm, devices, groups, sysctls, ipc/pid/uts modes) at docker's defaults.
  `
  UPDATE containers SET host_config = json_remove(json_set(host_config,
    '$.LogConfig', json_object('Type', 'json-file', 'Config',
      CASE WHEN json_extract(host_config, '$.LogMaxSize') > 0
        THEN json_object('max-size', CAST(json_extract(host_config, '$.LogMaxSize') AS TEXT), 'max-file', '2')
        ELSE json_object() END),
    '$.Ulimits', json('[]'), '$.ShmSize', 67108864, '$.Devices', json('[]'), '$.DeviceCgroupRules', json('[]'),
    '$.GroupAdd', json('[]'), '$.Sysctls', json('{}'), '$.IpcMode', 'private', '$.PidMode', '', '$.UTSMode', '',
    '$.VolumesFrom', json('[]')), '$.LogMaxSize')
  WHERE json_extract(host_config, '$.LogConfig') IS NULL;
  `,
  // 6: the build cache (build/cache.ts): a step's key -> the image config it produced, and
  // the layers that config needs, which the cache keeps alive when no image has them.
  `
  CREATE TABLE IF NOT EXISTS build_cache (
    key TEXT PRIMARY KEY,              -- sha256 of the parent config, the instruction, its content
    config TEXT NOT NULL,              -- the resulting image config, exactly as hashed into its id
    created_at TEXT NOT NULL,
    last_used TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS build_cache_layers (
    key TEXT NOT NULL REFERENCES build_cache(key) ON DELETE CASCADE,
    diff_id TEXT NOT NULL REFERENCES layers(diff_id),
    PRIMARY KEY (key, diff_id)
  );
  CREATE INDEX IF NOT EXISTS build_cache_layers_diff_id ON build_cache_layers(diff_id);
  `,
  // 7: the repositories a registry holds a blob in, for cross-repository mounts on push.
  `
  CREATE TABLE IF NOT EXISTS blob_repositories (
    digest TEXT NOT NULL,
    domain TEXT NOT NULL,
    path TEXT NOT NULL,
    PRIMARY KEY (digest, domain, path)
  );
  `,
  // 8: networks and the address each container has on each (network/store.ts).
  `
  CREATE TABLE IF NOT EXISTS networks (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    driver TEXT NOT NULL,
    bridge TEXT NOT NULL UNIQUE,       -- the host interface netavark makes
    subnet TEXT NOT NULL,              -- IPv4 CIDR
    gateway TEXT NOT NULL,
    ip_range TEXT NOT NULL,            -- where containers' addresses come from (the subnet by default)
    internal INTEGER NOT NULL,
    dns INTEGER NOT NULL,              -- names served by aardvark-dns (user networks)
    labels TEXT NOT NULL,
    options TEXT NOT NULL,
    created TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS network_endpoints (
    network_id TEXT NOT NULL REFERENCES networks(id),
    container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
    ip TEXT NOT NULL,
    mac TEXT NOT NULL,                 -- empty: netavark picks one
    aliases TEXT NOT NULL,
    position INTEGER NOT NULL,         -- connection order: the first network gives eth0 and the default route
    PRIMARY KEY (network_id, container_id),
    UNIQUE (network_id, ip)
  );
  CREATE INDEX IF NOT EXISTS network_endpoints_container ON network_endpoints(container_id);
  `,
  // 9: the last exit of a removed container, for a while: what docker's wait with the
  // "removed" condition answers once an --rm container's record is gone.
  `
  CREATE TABLE IF NOT EXISTS removed_containers (
    id TEXT PRIMARY KEY,
    exit_code INTEGER NOT NULL,
    removed_at INTEGER NOT NULL        -- unix ms
  );
  `,
  // 10: where each network's address allocation goes on from (next-fit, as docker's IPAM):
  // an address whose run is still being torn down in the background is not handed out again
  // at once.
  `
  CREATE TABLE IF NOT EXISTS network_last_ip (
    network_id TEXT PRIMARY KEY REFERENCES networks(id) ON DELETE CASCADE,
    ip TEXT NOT NULL
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

function version(db: Database.Database): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/** Brings the database to SCHEMA_VERSION; refuses one a newer mydocker wrote. */
export function migrate(db: Database.Database): void {
  if (version(db) === SCHEMA_VERSION) return;
  // IMMEDIATE: two commands opening an old store at once must not both take a step.
  db.transaction(() => {
    const from = version(db);
    if (from > SCHEMA_VERSION) {
      throw new MydockerError(
        "ESCHEMA",
        `the store was written by a newer mydocker (schema ${from}; this one knows up to ${SCHEMA_VERSION}): upgrade mydocker`,
      );
    }
    for (let v = from; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
