// The image store's rows: images, their ordered layers and names, known layer blobs.
import type { Db } from "../store/db.js";
import type { Descriptor, Digest, ImageConfig } from "../spec/image.js";
import type { ImageRecord } from "./types.js";

interface ImageRow {
  id: string;
  config: string;
  size: number;
  created_at: string;
}

interface NewImage {
  /** The config exactly as hashed into the id. */
  configText: string;
  id: Digest;
  layers: { diffId: Digest; size: number }[];
  names: string[];
}

export class Catalog {
  constructor(readonly db: Db) {}

  private record(row: ImageRow): ImageRecord {
    const names = (this.db.prepare("SELECT name FROM image_names WHERE image_id = ? ORDER BY name").pluck().all(row.id) as string[]);
    const layers = this.db.prepare("SELECT diff_id FROM image_layers WHERE image_id = ? ORDER BY position").pluck().all(row.id) as string[];
    const config = JSON.parse(row.config) as ImageConfig;
    return {
      id: row.id,
      names: names.filter((n) => !n.includes("@")),
      digests: names.filter((n) => n.includes("@")),
      created: config.created ?? row.created_at,
      size: row.size,
      layers,
      config,
    };
  }

  byId(id: Digest): ImageRecord | undefined {
    const row = this.db.prepare("SELECT * FROM images WHERE id = ?").get(id) as ImageRow | undefined;
    return row && this.record(row);
  }

  byName(name: string): ImageRecord | undefined {
    const row = this.db
      .prepare("SELECT images.* FROM images JOIN image_names ON image_names.image_id = images.id WHERE image_names.name = ?")
      .get(name) as ImageRow | undefined;
    return row && this.record(row);
  }

  /** Ids starting with prefix (hex, without "sha256:"). */
  idsWithPrefix(prefix: string): Digest[] {
    return this.db.prepare("SELECT id FROM images WHERE id >= ? AND id < ?").pluck().all(`sha256:${prefix}`, `sha256:${prefix}g`) as Digest[];
  }

  configText(id: Digest): string {
    return this.db.prepare("SELECT config FROM images WHERE id = ?").pluck().get(id) as string;
  }

  list(): ImageRecord[] {
    const rows = this.db.prepare("SELECT * FROM images ORDER BY created_at DESC").all() as ImageRow[];
    return rows.map((r) => this.record(r));
  }

  layerSize(diffId: Digest): number | undefined {
    return this.db.prepare("SELECT size FROM layers WHERE diff_id = ?").pluck().get(diffId) as number | undefined;
  }

  /** Stores an image and moves its names to it, all at once. */
  insert(image: NewImage): void {
    const now = new Date().toISOString();
    this.db.transaction(() => {
      const addLayer = this.db.prepare("INSERT OR IGNORE INTO layers (diff_id, size, created_at) VALUES (?, ?, ?)");
      for (const l of image.layers) addLayer.run(l.diffId, l.size, now);
      const exists = this.db.prepare("SELECT 1 FROM images WHERE id = ?").get(image.id);
      if (!exists) {
        const size = image.layers.reduce((sum, l) => sum + l.size, 0);
        this.db.prepare("INSERT INTO images (id, config, size, created_at) VALUES (?, ?, ?, ?)").run(image.id, image.configText, size, now);
        const addPosition = this.db.prepare("INSERT INTO image_layers (image_id, position, diff_id) VALUES (?, ?, ?)");
        image.layers.forEach((l, i) => addPosition.run(image.id, i, l.diffId));
      }
      const name = this.db.prepare("INSERT OR REPLACE INTO image_names (name, image_id) VALUES (?, ?)");
      for (const n of image.names) name.run(n, image.id);
    })();
  }

  setName(name: string, id: Digest): void {
    this.db.prepare("INSERT OR REPLACE INTO image_names (name, image_id) VALUES (?, ?)").run(name, id);
  }

  removeName(name: string): void {
    this.db.prepare("DELETE FROM image_names WHERE name = ?").run(name);
  }

  /** Deletes an image row and returns the layers nothing references any more (rows deleted too). */
  deleteImage(id: Digest): Digest[] {
    return this.db.transaction(() => {
      this.db.prepare("DELETE FROM images WHERE id = ?").run(id);
      return this.dropOrphanLayers();
    })();
  }

  /** Deletes the layer rows that neither an image nor the build cache uses; returns them (their files are the caller's). */
  dropOrphanLayers(): Digest[] {
    return this.db.transaction(() => {
      const orphans = this.db
        .prepare(
          "SELECT diff_id FROM layers WHERE diff_id NOT IN (SELECT diff_id FROM image_layers) AND diff_id NOT IN (SELECT diff_id FROM build_cache_layers)",
        )
        .pluck()
        .all() as Digest[];
      const drop = this.db.prepare("DELETE FROM layers WHERE diff_id = ?");
      for (const d of orphans) drop.run(d);
      return orphans;
    })();
  }

  recordBlob(digest: Digest, diffId: Digest, mediaType: string, size: number): void {
    this.db.prepare("INSERT OR REPLACE INTO layer_blobs (digest, diff_id, media_type, size) VALUES (?, ?, ?, ?)").run(digest, diffId, mediaType, size);
  }

  /** Notes that registry domain has blob digest in repository path. */
  recordBlobRepository(digest: Digest, domain: string, path: string): void {
    this.db.prepare("INSERT OR IGNORE INTO blob_repositories (digest, domain, path) VALUES (?, ?, ?)").run(digest, domain, path);
  }

  /** The repositories of registry domain known to hold blob digest. */
  repositoriesOfBlob(digest: Digest, domain: string): string[] {
    return this.db.prepare("SELECT path FROM blob_repositories WHERE digest = ? AND domain = ? ORDER BY path").pluck().all(digest, domain) as string[];
  }

  /** The layer a registry blob extracts to, when this store has it. */
  diffIdOfBlob(digest: Digest): Digest | undefined {
    return this.db
      .prepare("SELECT layer_blobs.diff_id FROM layer_blobs JOIN layers ON layers.diff_id = layer_blobs.diff_id WHERE digest = ?")
      .pluck()
      .get(digest) as Digest | undefined;
  }

  /** Compressed forms of a layer that registries were seen to hold. */
  blobsOfLayer(diffId: Digest): Descriptor[] {
    return this.db.prepare("SELECT digest, media_type AS mediaType, size FROM layer_blobs WHERE diff_id = ?").all(diffId) as Descriptor[];
  }

  hasLayer(diffId: Digest): boolean {
    return this.db.prepare("SELECT 1 FROM layers WHERE diff_id = ?").get(diffId) !== undefined;
  }

  distinctLayers(): { count: number; size: number } {
    const row = this.db.prepare("SELECT COUNT(*) AS count, COALESCE(SUM(size), 0) AS size FROM layers").get() as { count: number; size: number };
    return row;
  }
}
