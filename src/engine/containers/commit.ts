// docker commit and docker export: a container's files read while it is frozen (docker's
// default), so that what is read is one moment of it and not a tree that changes under
// the walk. The walk itself goes through directory fds (image/overlay-view.ts) whether
// the container is paused or not.
import path from "node:path";
import type { Writable } from "node:stream";
import type { ImageChanges, ImageRecord } from "../../image/index.js";
import { MydockerError } from "../../util/errors.js";
import type { ContainerRecord } from "../container-store.js";
import type { ContainerContext } from "./context.js";
import { containerDir } from "../paths.js";
import { containerEvent } from "../events/actors.js";

export interface CommitOptions {
  /** Freeze a running container while its files are read (docker's `commit --pause`, default true). */
  pause?: boolean;
  /** Stops the reading (the container is resumed before the call rejects). */
  signal?: AbortSignal;
}

async function resumeAfter(ctx: ContainerContext, id: string): Promise<void> {
  try {
    await ctx.runtime.resume(id);
  } catch (e) {
    // A container that stopped (or was killed) meanwhile has nothing left to resume.
    if (ctx.reconciler.resolve(id).state.status === "paused") throw e;
  }
}

const nothing = async (): Promise<void> => {};

/**
 * Runs read with the container frozen: a running container is paused first and resumed
 * when read calls release (once its files are read: the store's own work need not wait)
 * or, at the latest, however read ends; one the user paused stays paused; a stopped one
 * has nothing to freeze.
 */
export async function whilePaused<T>(ctx: ContainerContext, c: ContainerRecord, pause: boolean, read: (release: () => Promise<void>) => Promise<T>): Promise<T> {
  if (!pause || c.state.status !== "running") return read(nothing);
  // Recorded before the freeze: a command killed while the container is frozen leaves a
  // row the next command finds, and thaws it (Reconciler.recover).
  ctx.pendingOps.begin(c.id, "freeze");
  try {
    await ctx.runtime.pause(c.id);
  } catch (e) {
    ctx.pendingOps.done(c.id, "freeze");
    // It stopped between the look at its state and the pause: its files no longer move.
    if (ctx.reconciler.resolve(c.id).state.status === "running") throw e;
    return read(nothing);
  }
  let resumed = false;
  const release = async () => {
    if (resumed) return;
    resumed = true;
    await resumeAfter(ctx, c.id);
    ctx.pendingOps.done(c.id, "freeze");
  };
  try {
    return await read(release);
  } finally {
    await release();
  }
}

/** docker commit: the container's own layer becomes the top layer of a new image. */
export async function commitContainer(ctx: ContainerContext, query: string, ref: string | undefined, changes: ImageChanges, opts: CommitOptions): Promise<ImageRecord> {
  const c = ctx.reconciler.resolve(query);
  if (c.hostConfig.Rootfs) throw new MydockerError("EINVAL", `container ${c.name} runs on --rootfs: it has no image to commit onto`);
  const base = ctx.images.resolve(c.imageId);
  const upper = path.join(containerDir(ctx.roots, c.id), "upper");
  // As docker's history: the layer was made by the container's command.
  const made = { ...changes, createdBy: changes.createdBy ?? c.config.Cmd.join(" ") };
  const image = await whilePaused(ctx, c, opts.pause ?? true, (release) => ctx.images.commitLayer(upper, base, made, ref, { signal: opts.signal, walked: release }));
  ctx.events.record(containerEvent(c, "commit", { comment: changes.comment ?? "", imageID: image.id, imageRef: image.names[0] ?? "" }));
  return image;
}

/** docker export: the container's merged file system as a tar stream, read while it is frozen. */
export async function exportContainer(ctx: ContainerContext, query: string, out: Writable, opts: Omit<CommitOptions, "pause"> = {}): Promise<void> {
  const c = ctx.reconciler.resolve(query);
  await whilePaused(ctx, c, true, (release) => ctx.images.exportRootfs(ctx.view.layerDirs(c), out, { signal: opts.signal, walked: release }));
  ctx.events.record(containerEvent(c, "export"));
}
