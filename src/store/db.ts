// The engine's metadata store: one SQLite database under the engine root, shared by the
// image store and the container store, so that concurrent commands are safe.
import Database from "better-sqlite3";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

export type Db = Database.Database;

/** Whether root holds a store: a monitor's exit command must not make one where the root was removed. */
export function hasDb(root: string): boolean {
  return fs.existsSync(path.join(root, "mydocker.db"));
}

export function openDb(root: string): Db {
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  const db = new Database(path.join(root, "mydocker.db"), { nativeBinding: addonPath() });
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 10000");
  db.pragma("foreign_keys = ON");
  db.pragma("synchronous = NORMAL");
  return db;
}

/**
 * better-sqlite3's compiled addon, named outright: without it the package looks for it
 * with the "bindings" module, trying path after path (~1 ms of every command).
 * undefined (let it search) when the build is not the usual Release one.
 */
function addonPath(): string | undefined {
  const pkg = createRequire(import.meta.url).resolve("better-sqlite3/package.json");
  const addon = path.join(path.dirname(pkg), "build/Release/better_sqlite3.node");
  return fs.existsSync(addon) ? addon : undefined;
}
