// docker commit and docker export: a container's files read while it is frozen (docker's
// default), so that what is read is one moment of it and not a tree that changes under
// the walk. The walk itself goes through directory fds (image/overlay-view.ts) whether
// the container is paused or not.
import path from "node:path";
import type { Writable } from "node:stream";
import type { ImageChanges, ImageRecord } from "../image/index.js";
import { MydockerError } from "../util/errors.js";
import type { ContainerRecord } from "./container-store.js";
import type { Engine } from "./engine.js";
import { containerDir } from "./paths.js";

export interface CommitOptions {
  /** Freeze a running container while its files are read (docker's `commit --pause`, default true). */
  pause?: boolean;
  /** Stops the reading (the container is resumed before the call rejects). */
  signal?: AbortSignal;
}

async function resumeAfter(engine: Engine, id: string): Promise<void> {
  try {
    await engine.runtime.resume(id);
  } catch (e) {
    // A container that stopped (or was killed) meanwhile has nothing left to resume.
    if (engine.resolve(id).state.status === "paused") throw e;
  }
}

/**
 * Runs read with the container frozen: a running container is paused first and resumed
 * after, however read ends; one the user paused stays paused; a stopped one has nothing
 * to freeze.
 */
export async function whilePaused<T>(engine: Engine, c: ContainerRecord, pause: boolean, read: () => Promise<T>): Promise<T> {
  if (!pause || c.state.status !== "running") return read();
  try {
    await engine.runtime.pause(c.id);
  } catch (e) {
    // It stopped between the look at its state and the pause: its files no longer move.
    if (engine.resolve(c.id).state.status === "running") throw e;
    return read();
  }
  try {
    return await read();
  } finally {
    await resumeAfter(engine, c.id);
  }
}

/** docker commit: the container's own layer becomes the top layer of a new image. */
export function commitContainer(engine: Engine, query: string, ref: string | undefined, changes: ImageChanges, opts: CommitOptions): Promise<ImageRecord> {
  const c = engine.resolve(query);
  if (c.hostConfig.Rootfs) throw new MydockerError("EINVAL", `container ${c.name} runs on --rootfs: it has no image to commit onto`);
  const base = engine.images.resolve(c.imageId);
  const upper = path.join(containerDir(engine.roots, c.id), "upper");
  return whilePaused(engine, c, opts.pause ?? true, () => engine.images.commitLayer(upper, base, changes, ref, opts.signal));
}

/** docker export: the container's merged file system as a tar stream, read while it is frozen. */
export function exportContainer(engine: Engine, query: string, out: Writable, opts: Omit<CommitOptions, "pause"> = {}): Promise<void> {
  const c = engine.resolve(query);
  return whilePaused(engine, c, true, () => engine.images.exportRootfs(engine.layerDirs(c), out, opts.signal));
}
