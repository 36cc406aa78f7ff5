// The image store: images (an OCI config, its ordered layers, its names) in SQLite,
// layers on disk (layer-store.ts). Every operation that adds content stages it in a
// work directory and only then moves it into place and records it in one transaction.
import fs from "node:fs";
import path from "node:path";
import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Db } from "../store/db.js";
import { MydockerError } from "../util/errors.js";
import type { Digest } from "../spec/image.js";
import { loadArchive } from "./archive-load.js";
import { indexArchiveFile, readArchiveMembers, type ArchiveMembers } from "./archive-read.js";
import { writeArchive, type ArchiveFormat } from "./archive-write.js";
import { Catalog } from "./catalog.js";
import { asBuffers, type ByteStream } from "./compression.js";
import { checkConfigLimits, configWithLayer, serializeConfig } from "./config.js";
import { LayerStore, type StagedLayer } from "./layer-store.js";
import { layerFromDir, mergedFromDirs, type WalkOptions } from "./layer-tar.js";
import { checkPlatform, parsePlatform } from "./platform.js";
import { pull, type PullOptions } from "./registry/pull.js";
import { push, type PushOptions } from "./registry/push.js";
import { closeConnections } from "./registry/http.js";
import { writeTar } from "./tar/writer.js";
import { shortId, type Progress } from "./progress.js";
import { familiarName, normalizeReference } from "./reference.js";
import type {
  DiskUsage,
  HistoryRow,
  ImageChanges,
  ImageEventSink,
  ImageInspect,
  ImageRecord,
  PruneResult,
  RemoveOptions,
  RemoveResult,
} from "./types.js";
import { makeWorkDir, removeWorkDir, sweepWorkDirs } from "./workdir.js";

/** An image load stored, and the names the archive gave it (it may have had others already). */
export interface LoadedImage extends ImageRecord {
  loadedNames: string[];
}

/** docker load's report of an image: a line per name the archive gave it, or its id. */
export function loadedLines(img: LoadedImage): string[] {
  return img.loadedNames.length ? img.loadedNames.map((n) => `Loaded image: ${familiarName(n)}`) : [`Loaded image ID: ${img.id}`];
}

export interface ImportOptions {
  changes?: ImageChanges;
  progress?: Progress;
}

/** The canonical name of ref, or undefined when ref is not a name (an id). */
function safeNormalize(ref: string): string | undefined {
  try {
    return normalizeReference(ref);
  } catch {
    return undefined;
  }
}

function notFound(ref: string): MydockerError {
  return new MydockerError("image_not_found", `No such image: ${ref}`);
}

/**
 * The members of the archive file a stream not yet read would give (load -i), found from
 * its headers alone, the stream dropped; undefined for any other input (read as a stream).
 */
function indexFileStream(input: ByteStream): ArchiveMembers | undefined {
  if (!(input instanceof fs.ReadStream) || input.bytesRead !== 0 || typeof input.path !== "string") return undefined;
  if ((input as fs.ReadStream & { start?: number }).start !== undefined) return undefined;
  let members: ArchiveMembers | undefined;
  let done = false;
  try {
    members = indexArchiveFile(input.path);
    done = members !== undefined;
  } catch (e) {
    done = true;
    throw e;
  } finally {
    if (done) {
      // Its open may still be under way: what it reports no longer matters.
      input.on("error", () => {});
      input.destroy();
    }
  }
  return members;
}

export class ImageStore {
  readonly catalog: Catalog;
  readonly layers: LayerStore;
  /** <engine root>/image */
  readonly imageRoot: string;

  constructor(
    db: Db,
    root: string,
    private readonly event: ImageEventSink = () => {},
  ) {
    this.imageRoot = path.join(root, "image");
    fs.mkdirSync(this.imageRoot, { recursive: true, mode: 0o700 });
    this.catalog = new Catalog(db);
    this.layers = new LayerStore(this.imageRoot);
    sweepWorkDirs(this.imageRoot);
  }

  /** An image by name (as docker resolves it), by id, or by a unique id prefix. */
  resolve(refOrId: string): ImageRecord | undefined {
    const hex = /^(?:sha256:)?([0-9a-f]{1,64})$/.exec(refOrId)?.[1];
    if (hex?.length === 64) return this.catalog.byId(`sha256:${hex}`);
    let name: string | undefined;
    try {
      name = normalizeReference(refOrId);
    } catch (e) {
      if (hex === undefined) throw e;
    }
    const byName = name === undefined ? undefined : this.catalog.byName(name);
    if (byName !== undefined || hex === undefined) return byName;
    const ids = this.catalog.idsWithPrefix(hex);
    if (ids.length > 1) throw new MydockerError("ambiguous_image", `image id prefix ${refOrId} is ambiguous`);
    return ids.length === 1 ? this.catalog.byId(ids[0]!) : undefined;
  }

  /** Like resolve, but an unknown image is an error. */
  get(refOrId: string): ImageRecord {
    const image = this.resolve(refOrId);
    if (image === undefined) throw notFound(refOrId);
    return image;
  }

  list(): ImageRecord[] {
    return this.catalog.list();
  }

  /** The image's layer directories for overlayfs lowerdir, topmost first. */
  layerDirs(image: ImageRecord): string[] {
    return image.layers.map((d) => this.layers.dir(d)).reverse();
  }

  /** Layer directories (as layerDirs gives them) as short names relative to a directory: see LayerStore.shortLinks. */
  shortLinks(dirs: string[]): { cwd: string; lower: string[] } {
    return this.layers.shortLinks(dirs);
  }

  /** Drops the connections to registries that pull and push kept open. */
  close(): void {
    closeConnections();
  }

  /** Runs fn with a fresh work directory, removed afterwards whatever happens. */
  async withWorkDir<T>(fn: (work: string) => Promise<T>): Promise<T> {
    const work = makeWorkDir(this.imageRoot);
    try {
      return await fn(work);
    } finally {
      removeWorkDir(work);
    }
  }

  /** Moves staged layers into place and records the image with its names; layers given by diffID must be stored already. */
  addImage(configText: string, id: Digest, layers: (StagedLayer | Digest)[], names: string[]): ImageRecord {
    // Whatever brought it (load, pull, commit, import), no config the store cannot use later.
    checkConfigLimits(configText, `image config ${id}`);
    const rows = layers.map((l) => {
      if (typeof l !== "string") {
        this.layers.adopt(l);
        return { diffId: l.diffId, size: l.size };
      }
      const size = this.catalog.layerSize(l);
      if (size === undefined || !this.layers.has(l)) throw new MydockerError("layer_missing", `layer ${l} is not in the store`);
      return { diffId: l, size };
    });
    this.catalog.insert({ configText, id, layers: rows, names });
    return this.catalog.byId(id)!;
  }

  /** `load`: docker-archive or OCI archive (optionally gzip-compressed). */
  async load(input: ByteStream, progress?: Progress, opts: { platform?: string } = {}): Promise<LoadedImage[]> {
    const platform = opts.platform === undefined ? undefined : parsePlatform(opts.platform);
    return this.withWorkDir(async (work) => {
      const members = indexFileStream(input) ?? (await readArchiveMembers(asBuffers(input), work));
      const hasLayer = (d: Digest): boolean => this.catalog.hasLayer(d) && this.layers.has(d);
      const images = await loadArchive(members, this.layers, work, hasLayer, progress, platform);
      // The archive's own names: the image may have had others before.
      const records = images.map((i) => ({ ...this.addImage(i.configText, i.id, i.layers, i.names), loadedNames: i.names }));
      for (const r of records) {
        const names = r.loadedNames.map(familiarName);
        for (const n of names.length ? names : [r.id]) this.event("load", n, n);
      }
      return records;
    });
  }

  /** `save`: the images (with the names given) as one archive. */
  async save(refs: string[], out: Writable, format: ArchiveFormat = "docker-archive", opts: { platform?: string } = {}): Promise<void> {
    const selected = refs.map((ref) => {
      const image = this.get(ref);
      // The store keeps one platform per image: --platform can only check it is that one.
      if (opts.platform !== undefined) checkPlatform(image.config, ref, opts.platform);
      const name = safeNormalize(ref);
      // By id, docker saves no names (RepoTags null); by name, just that name.
      return { image, names: name !== undefined && image.names.includes(name) ? [name] : [] };
    });
    await pipeline(Readable.from(writeArchive(this, selected, format)), out);
    for (const { image, names } of selected) this.event("save", image.id, names.length ? familiarName(names[0]!) : image.id);
  }

  /** `import`: a plain rootfs tarball (optionally gzip-compressed) becomes a one-layer image. */
  async importRootfsTar(input: ByteStream, ref?: string, options: ImportOptions = {}): Promise<ImageRecord> {
    const name = ref === undefined ? undefined : normalizeReference(ref);
    const { progress } = options;
    return this.withWorkDir(async (work) => {
      progress?.({ kind: "step", message: "Importing rootfs" });
      const staged = await this.layers.stage(asBuffers(input), work, (n) => progress?.({ kind: "layer", id: "rootfs", action: "extracting", current: n }));
      const changes = { comment: "Imported from tarball", ...options.changes };
      const { text, id } = serializeConfig(configWithLayer(undefined, staged.diffId, changes));
      const image = this.addImage(text, id, [staged], name === undefined ? [] : [name]);
      this.event("import", id, name === undefined ? id : familiarName(name));
      return image;
    });
  }

  /**
   * `commit`: a container's upper directory (overlay form) becomes a new layer on top of
   * base, overlay whiteouts turned into OCI whiteouts. Pause the container first: files
   * that change while being read fail the commit.
   */
  async commitLayer(upperDir: string, base: ImageRecord | undefined, changes: ImageChanges = {}, ref?: string, walk: WalkOptions = {}): Promise<ImageRecord> {
    const name = ref === undefined ? undefined : normalizeReference(ref);
    return this.withWorkDir(async (work) => {
      const staged = await this.layers.stage(writeTar(layerFromDir(upperDir, walk)), work);
      const { text, id } = serializeConfig(configWithLayer(base?.config, staged.diffId, changes));
      return this.addImage(text, id, [...(base?.layers ?? []), staged], name === undefined ? [] : [name]);
    });
  }

  /** `export`: the merged file system of overlay directories (topmost first: upper, then layerDirs) as a tar. */
  async exportRootfs(dirs: string[], out: Writable, walk: WalkOptions = {}): Promise<void> {
    await pipeline(Readable.from(writeTar(mergedFromDirs(dirs, walk))), out);
  }

  /** `pull` over the OCI distribution API. */
  async pull(ref: string, options: PullOptions = {}, progress?: Progress): Promise<ImageRecord> {
    const image = await pull(this, ref, options, progress);
    const name = familiarName(normalizeReference(ref));
    this.event("pull", name, name.replace(/:[^:/@]+$/, ""));
    return image;
  }

  /** `push` over the OCI distribution API; returns the manifest digest. */
  async push(ref: string, options: PushOptions = {}, progress?: Progress): Promise<Digest> {
    const digest = await push(this, this.get(ref), ref, options, progress);
    const name = familiarName(normalizeReference(ref));
    this.event("push", name, name.replace(/:[^:/@]+$/, ""));
    return digest;
  }

  /** Gives the image one more name; an existing name moves. */
  tag(source: string, target: string): void {
    const image = this.get(source);
    const name = normalizeReference(target);
    this.catalog.setName(name, image.id);
    this.event("tag", image.id, familiarName(name));
  }

  /** `rmi`: untags a name; deletes the image when it was the last name or when given by id. */
  remove(refOrId: string, options: RemoveOptions = {}): RemoveResult {
    const image = this.get(refOrId);
    const result: RemoveResult = { untagged: [], deleted: [] };
    const name = safeNormalize(refOrId);
    const byName = name !== undefined && (image.names.includes(name) || image.digests.includes(name));
    if (byName && image.names.length > 1) {
      this.catalog.removeName(name);
      result.untagged.push(familiarName(name));
      this.event("untag", image.id, image.id);
      return result;
    }
    if (!byName && image.names.length > 1 && !options.force) {
      throw new MydockerError(
        "image_conflict",
        `conflict: unable to delete ${shortId(image.id)} (must be forced) - image is referenced in multiple repositories`,
      );
    }
    const user = options.inUse?.(image.id);
    if (user !== undefined) {
      const running = options.runningUser?.(image.id);
      if (running !== undefined) {
        throw new MydockerError("image_in_use", `conflict: unable to delete ${shortId(image.id)} (cannot be forced) - image is being used by running container ${running}`);
      }
      if (!options.force) {
        throw new MydockerError("image_in_use", `conflict: unable to delete ${shortId(image.id)} (must be forced) - image is being used by stopped container ${user}`);
      }
      // As docker: forced, the names go; the image stays, with the layers its container runs on.
      for (const n of image.names) {
        this.catalog.removeName(n);
        result.untagged.push(familiarName(n));
        this.event("untag", image.id, image.id);
      }
      return result;
    }
    for (const n of [...image.names, ...image.digests]) result.untagged.push(familiarName(n));
    for (const layer of this.catalog.deleteImage(image.id)) this.layers.remove(layer);
    result.deleted.push(image.id);
    for (let i = 0; i < result.untagged.length; i++) this.event("untag", image.id, image.id);
    this.event("delete", image.id, image.id);
    return result;
  }

  /** `image prune`: removes images without names (all unused images with all) that no container uses (and that only, the prune's filters, lets go). */
  prune(options: { all?: boolean; inUse?: RemoveOptions["inUse"]; only?: (image: ImageRecord) => boolean } = {}): PruneResult {
    const result: PruneResult = { deleted: [], removed: [], reclaimedBytes: 0 };
    for (const image of this.list()) {
      if (image.names.length > 0 && !options.all) continue;
      if (options.only && !options.only(image)) continue;
      if (options.inUse?.(image.id) !== undefined) continue;
      const before = this.catalog.distinctLayers().size;
      for (const layer of this.catalog.deleteImage(image.id)) this.layers.remove(layer);
      result.reclaimedBytes += before - this.catalog.distinctLayers().size;
      for (const n of [...image.names, ...image.digests]) {
        result.removed.push({ Untagged: familiarName(n) });
        this.event("untag", image.id, image.id);
      }
      result.deleted.push(image.id);
      result.removed.push({ Deleted: image.id });
      this.event("delete", image.id, image.id);
    }
    return result;
  }

  history(refOrId: string): HistoryRow[] {
    const image = this.get(refOrId);
    const layers = [...image.layers];
    const rows: HistoryRow[] = (image.config.history ?? []).map((h) => {
      const diffId = h.empty_layer ? undefined : layers.shift();
      return {
        id: "<missing>",
        created: h.created ?? "",
        createdBy: h.created_by ?? "",
        size: diffId === undefined ? 0 : this.catalog.layerSize(diffId) ?? 0,
        comment: h.comment ?? "",
      };
    });
    rows.reverse();
    if (rows.length > 0) rows[0]!.id = image.id;
    return rows;
  }

  inspect(refOrId: string): ImageInspect {
    const image = this.get(refOrId);
    const c = image.config;
    return {
      Id: image.id,
      RepoTags: image.names.map(familiarName),
      RepoDigests: image.digests.map(familiarName),
      Parent: "",
      Comment: c.history?.[c.history.length - 1]?.comment ?? "",
      Created: image.created,
      Author: c.author ?? "",
      Architecture: c.architecture,
      Os: c.os,
      Size: image.size,
      Config: c.config ?? {},
      RootFS: { Type: "layers", Layers: image.layers },
    };
  }

  /** Numbers for `system df`. */
  diskUsage(inUse?: RemoveOptions["inUse"]): DiskUsage {
    const images = this.list();
    const layers = this.catalog.distinctLayers();
    const reclaimable = images
      .filter((i) => i.names.length === 0 && inUse?.(i.id) === undefined)
      .reduce((sum, i) => sum + i.size, 0);
    return { images: images.length, layers: layers.count, layersSize: layers.size, reclaimable };
  }

}
