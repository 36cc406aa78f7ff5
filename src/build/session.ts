// What the stages of one build share: the engine, the cache, the progress numbering, the
// image states steps produce, and the images made for steps (removed at the end).
import type { ContainerConfig, Digest, ImageConfig } from "../spec/image.js";
import { serializeConfig } from "../image/config.js";
import { sha256 } from "../image/digest.js";
import type { ImageRecord } from "../image/index.js";
import type { StagedLayer } from "../image/layer-store.js";
import { MydockerError } from "../util/errors.js";
import { BuildCache } from "./cache.js";
import type { BuildEngine, BuildEvent, BuildOptions } from "./types.js";

/** An image a step produced: its config, exactly as hashed into its id. */
export interface ImageState {
  config: ImageConfig;
  text: string;
  /** sha256 of text; "scratch" for the empty start. */
  id: Digest;
}

export function stateOf(config: ImageConfig): ImageState {
  const { text, id } = serializeConfig(config);
  return { config, text, id };
}

export function stateFromText(text: string): ImageState {
  return { config: JSON.parse(text) as ImageConfig, text, id: sha256(text) };
}

/** The config after a step: a new history entry, and a new layer when the step made one. */
export function nextConfig(parent: ImageConfig, createdBy: string, change: { config?: ContainerConfig; author?: string; diffId?: Digest } = {}): ImageConfig {
  const created = new Date().toISOString();
  const config: ImageConfig = {
    ...parent,
    created,
    config: change.config ?? parent.config,
    rootfs: { type: "layers", diff_ids: change.diffId ? [...parent.rootfs.diff_ids, change.diffId] : parent.rootfs.diff_ids },
    history: [...(parent.history ?? []), { created, created_by: createdBy, comment: "buildkit.dockerfile.v0", ...(change.diffId ? {} : { empty_layer: true }) }],
  };
  if (change.author !== undefined) config.author = change.author;
  return config;
}

export const scratch: ImageState = {
  config: { architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [] }, history: [] },
  text: "",
  id: "scratch",
};

export class BuildFailed extends MydockerError {
  constructor(message: string) {
    super("build_failed", message, 1);
  }
}

export class Session {
  readonly cache: BuildCache;
  /** Images this build added to the store for its steps. */
  private readonly made = new Set<Digest>();
  private steps = 0;

  constructor(
    readonly engine: BuildEngine,
    readonly opts: BuildOptions,
    /** The build's own work directory (removed after it). */
    readonly work: string,
  ) {
    this.cache = new BuildCache(engine.images);
  }

  emit(event: BuildEvent): void {
    this.opts.onProgress?.(event);
  }

  /** Numbers a new step (docker's #N) and says it started. */
  begin(name: string): number {
    this.opts.signal?.throwIfAborted();
    const step = ++this.steps;
    this.emit({ kind: "start", step, name });
    return step;
  }

  /** Runs a step's work, reporting its end: cached, done with its time, or the error. */
  async timed<T>(step: number, work: () => Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    try {
      const r = await work();
      const cached = (r as { cached?: boolean }).cached === true;
      this.emit(cached ? { kind: "cached", step } : { kind: "done", step, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
      return r;
    } catch (e) {
      this.emit({ kind: "error", step, message: (e as Error).message });
      throw e;
    }
  }

  /** The state as an image of the store (a RUN needs one to make its container from). */
  materialize(state: ImageState): ImageRecord {
    if (state.id === "scratch") throw new BuildFailed("a RUN needs a file system: this stage is FROM scratch with nothing in it");
    const known = this.engine.images.catalog.byId(state.id);
    if (known !== undefined) return known;
    return this.adopt(state, []);
  }

  /** Stores the state as an image whose new layers are staged (its others are stored already). */
  adopt(state: ImageState, staged: StagedLayer[]): ImageRecord {
    const known = this.engine.images.catalog.byId(state.id) !== undefined;
    const layers = state.config.rootfs.diff_ids.map((d) => staged.find((s) => s.diffId === d) ?? d);
    const record = this.engine.images.addImage(state.text, state.id, layers, []);
    if (!known) this.made.add(state.id);
    return record;
  }

  /** Notes an image a step made through the engine (a RUN's commit). */
  track(id: Digest): void {
    this.made.add(id);
  }

  /** Records a step in the cache. */
  remember(key: string, state: ImageState): void {
    this.cache.put(key, state.text, state.config.rootfs.diff_ids);
  }

  /** A cached step's state, unless the cache is bypassed. */
  recall(key: string): ImageState | undefined {
    if (this.opts.noCache || this.opts.pull) return undefined;
    const text = this.cache.get(key);
    return text === undefined ? undefined : stateFromText(text);
  }

  /** Removes the images made for steps, but keep (the result), any with a name, or used by a container. */
  cleanup(keep: Digest | undefined): void {
    const { images } = this.engine;
    for (const id of this.made) {
      if (id === keep) continue;
      const image = images.catalog.byId(id);
      if (image === undefined || image.names.length > 0 || this.engine.containers.usesImage(id).length > 0) continue;
      for (const orphan of images.catalog.deleteImage(id)) images.layers.remove(orphan);
    }
    this.made.clear();
  }
}
