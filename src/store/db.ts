// The engine's metadata store: one SQLite database under the engine root, shared by the
// image store and the container store, so that concurrent commands are safe.
import Database from "better-sqlite3";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { MydockerError } from "../util/errors.js";

export type Db = Database.Database;

/** Whether root holds a store: a monitor's exit command must not make one where the root was removed. */
export function hasDb(root: string): boolean {
  return fs.existsSync(path.join(root, "mydocker.db"));
}

export function openDb(root: string): Db {
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  const db = new Database(path.join(root, "mydocker.db"), { nativeBinding: addonPath() });
  cachePreparedStatements(db);
  db.pragma("journal_mode = WAL");
  db.exec("PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL");
  return db;
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

/**
 * better-sqlite3's compiled addon, named outright: its own search (the "bindings" module)
 * tries path after path (~1 ms of every command) and cannot work from the command line's
 * bundle, which holds better-sqlite3's JavaScript but not its addon.
 */
function addonPath(): string {
  const pkg = createRequire(import.meta.url).resolve("better-sqlite3/package.json");
  const addon = path.join(path.dirname(pkg), "build/Release/better_sqlite3.node");
  if (!fs.existsSync(addon)) {
    throw new MydockerError("ENOSQLITE", `better-sqlite3 is not built (no ${addon}): run "npm install" in ${path.dirname(path.dirname(path.dirname(pkg)))}`);
  }
  return addon;
}
