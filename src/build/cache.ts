// The build cache: a step is reused when its key is known. The key is the digest of the
// parent image config (its exact bytes: a cached parent is the same parent), the
// instruction with its expanded arguments and build variables, and for COPY/ADD the digest
// of the content copied. A row holds the config the step produced; its layers stay in the
// layer store while a row needs them, whether or not an image still has them.
import type { Db } from "../store/db.js";
import type { Digest } from "../spec/image.js";
import { sha256 } from "../image/digest.js";
import type { ImageStore } from "../image/index.js";

export interface CacheUsage {
  entries: number;
  /** Bytes of the layers only the cache keeps. */
  size: number;
}

/** One cached step, as docker's /system/df lists build cache records. */
export interface CacheEntry {
  key: string;
  createdAt: string;
  lastUsedAt: string;
  /** Bytes of the layers only the cache keeps, each counted in the first entry that holds it. */
  size: number;
}

export class BuildCache {
  private readonly db: Db;

  constructor(private readonly images: ImageStore) {
    this.db = images.catalog.db;
  }

  static key(parts: unknown[]): string {
    return sha256(JSON.stringify(parts));
  }

  /** The config text a step with this key produced, when its layers are all still stored. */
  get(key: string): string | undefined {
    const config = this.db.prepare("SELECT config FROM build_cache WHERE key = ?").pluck().get(key) as string | undefined;
    if (config === undefined) return undefined;
    const layers = this.db.prepare("SELECT diff_id FROM build_cache_layers WHERE key = ?").pluck().all(key) as Digest[];
    if (!layers.every((d) => this.images.layers.has(d))) return undefined;
    this.db.prepare("UPDATE build_cache SET last_used = ? WHERE key = ?").run(new Date().toISOString(), key);
    return config;
  }

  /** Records a step's result; its layers must be in the store (an image holds them while this runs). */
  put(key: string, configText: string, layers: Digest[]): void {
    const now = new Date().toISOString();
    this.db.transaction(() => {
      this.db.prepare("INSERT OR REPLACE INTO build_cache (key, config, created_at, last_used) VALUES (?, ?, ?, ?)").run(key, configText, now, now);
      const add = this.db.prepare("INSERT OR IGNORE INTO build_cache_layers (key, diff_id) VALUES (?, ?)");
      for (const d of new Set(layers)) add.run(key, d);
    })();
  }

  usage(): CacheUsage {
    const entries = this.entries();
    return { entries: entries.length, size: entries.reduce((n, e) => n + e.size, 0) };
  }

  /** Every cached step, oldest first; their sizes add up to usage().size. */
  entries(): CacheEntry[] {
    const rows = this.db.prepare("SELECT key, created_at AS createdAt, last_used AS lastUsedAt FROM build_cache ORDER BY created_at, key").all() as Omit<CacheEntry, "size">[];
    const held = this.db
      .prepare("SELECT b.key, l.diff_id AS diffId, l.size FROM build_cache_layers b JOIN layers l ON l.diff_id = b.diff_id WHERE l.diff_id NOT IN (SELECT diff_id FROM image_layers)")
      .all() as { key: string; diffId: string; size: number }[];
    const counted = new Set<string>();
    return rows.map((r) => {
      let size = 0;
      for (const l of held) if (l.key === r.key && !counted.has(l.diffId)) (counted.add(l.diffId), (size += l.size));
      return { ...r, size };
    });
  }

  /** builder prune: every entry forgotten, and the layers no image has deleted. */
  prune(): { entries: number; reclaimed: number } {
    const before = this.usage();
    const orphans = this.db.transaction(() => {
      this.db.prepare("DELETE FROM build_cache").run();
      return this.images.catalog.dropOrphanLayers();
    })();
    for (const d of orphans) this.images.layers.remove(d);
    return { entries: before.entries, reclaimed: before.size };
  }
}
