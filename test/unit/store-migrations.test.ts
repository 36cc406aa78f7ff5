// The store's schema version: a new store, an unversioned one from before versions, and one
// a newer mydocker wrote.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDb } from "../../src/store/db.js";
import { SCHEMA_VERSION } from "../../src/store/migrations.js";

function tempRoot(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-store-"));
}

const tables = (db: ReturnType<typeof openDb>) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);

test("a new store has every table and the current schema version", () => {
  const root = tempRoot();
  try {
    const db = openDb(root);
    assert.equal(db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
    assert.deepEqual(tables(db), ["blob_repositories", "build_cache", "build_cache_layers", "containers", "events", "image_layers", "image_names", "images", "layer_blobs", "layers", "network_endpoints", "network_last_ip", "networks", "pending_ops", "removed_containers", "volumes"]);
    db.close();
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("a store from before schema versions keeps its rows and gains the later tables", () => {
  const root = tempRoot();
  try {
    const first = openDb(root);
    first.exec("DROP TABLE pending_ops; DROP TABLE events; PRAGMA user_version = 0");
    first.prepare("INSERT INTO volumes (name, labels, options, created_at) VALUES ('kept', '{}', '{}', 'then')").run();
    first.close();
    const db = openDb(root);
    assert.equal(db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
    assert.ok(tables(db).includes("pending_ops"));
    assert.ok(tables(db).includes("events"));
    assert.equal(db.prepare("SELECT name FROM volumes").pluck().get(), "kept");
    db.close();
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("a store a newer mydocker wrote is refused with what to do", () => {
  const root = tempRoot();
  try {
    const db = openDb(root);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(() => openDb(root), (e: Error & { code?: string }) => {
      assert.equal(e.code, "ESCHEMA");
      assert.match(e.message, new RegExp(`schema ${SCHEMA_VERSION + 1}.*upgrade mydocker`));
      return true;
    });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
