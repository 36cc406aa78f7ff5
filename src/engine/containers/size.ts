// A container's size as docker reports it (ps -s, inspect -s): its writable layer, and
// that plus its image (the "virtual" size).
import path from "node:path";
import type { ContainerRecord } from "../container-store.js";
import { treeSize } from "../disk-usage.js";
import { containerDir } from "../paths.js";
import type { ContainerContext } from "./context.js";

export interface ContainerSize {
  SizeRw: number;
  SizeRootFs: number;
}

export function containerSize(ctx: ContainerContext, c: ContainerRecord): ContainerSize {
  const rw = treeSize(path.join(containerDir(ctx.roots, c.id), "upper"));
  const image = c.hostConfig.Rootfs ? 0 : (ctx.images.resolve(c.imageId)?.size ?? 0);
  return { SizeRw: rw, SizeRootFs: rw + image };
}
