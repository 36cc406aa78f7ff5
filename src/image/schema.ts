// The image store's tables in the engine's shared SQLite database.
import type { Db } from "../store/db.js";

export function createImageTables(db: Db): void {
  db.exec(`
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
  `);
}
