// The engine's metadata store: one SQLite database under the engine root, shared by the
// image store and the container store, so that concurrent commands are safe.
import Database from "better-sqlite3";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { MydockerError } from "../util/errors.js";
import { migrate } from "./migrations.js";

export type Db = Database.Database;

/** Whether root holds a store: a monitor's exit command must not make one where the root was removed. */
export function hasDb(root: string): boolean {
  return fs.existsSync(path.join(root, "mydocker.db"));
}

export function openDb(root: string): Db {
  const file = path.join(root, "mydocker.db");
  ownerOnly(root, file);
  // better-sqlite3 takes the addon itself as well as its path (its issue 972); the types know only the path.
  const db = new Database(file, { nativeBinding: sqliteAddon() as unknown as string });
  cachePreparedStatements(db);
  db.pragma("journal_mode = WAL");
  db.exec("PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL");
  migrate(db);
  return db;
}

/**
 * The root holds containers' environments, logs and writable layers: only root may look in,
 * whatever the umask and however the directory came to exist (a root made beforehand is
 * tightened). The database is 0600 before SQLite opens it, so its -wal and -shm files, which
 * SQLite creates with the database's own mode, are too.
 */
function ownerOnly(root: string, file: string): void {
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  if ((fs.statSync(root).mode & 0o777) !== 0o700) fs.chmodSync(root, 0o700);
  const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
  try {
    if ((fs.fstatSync(fd).mode & 0o777) !== 0o600) fs.fchmodSync(fd, 0o600);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The stores prepare their statements where they use them; compiling the same SQL again
 * for every call cost a run ~0.3 ms. Each text is compiled once per connection, and handed
 * out in its default mode (a caller that wants .pluck() asks for it each time). No caller
 * iterates, so a statement is never busy when it is handed out again.
 */
function cachePreparedStatements(db: Db): void {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    let stmt = cache.get(sql);
    if (!stmt) cache.set(sql, (stmt = prepare(sql)));
    return stmt.reader ? stmt.pluck(false) : stmt;
  }) as Db["prepare"];
}

let addon: object | undefined;

/**
 * better-sqlite3's compiled addon, loaded by its path: its own search (the "bindings"
 * module) tries path after path (~1 ms of every command) and cannot work from the command
 * line's bundle, which holds better-sqlite3's JavaScript but not its addon; and the
 * `require` of a command started from its startup snapshot (src/cli/snapshot.ts) loads only
 * node's built-ins, while process.dlopen loads any addon.
 */
function sqliteAddon(): object {
  if (addon) return addon;
  const pkg = createRequire(import.meta.url).resolve("better-sqlite3/package.json");
  const file = path.join(path.dirname(pkg), "build/Release/better_sqlite3.node");
  if (!fs.existsSync(file)) {
    throw new MydockerError("ENOSQLITE", `better-sqlite3 is not built (no ${file}): run "npm install" in ${path.dirname(path.dirname(path.dirname(pkg)))}`);
  }
  const mod = { exports: {} };
  process.dlopen(mod, file);
  return (addon = mod.exports);
}
