// docker diff: the paths a container added, changed and deleted over its image.
import { layerChanges, type Change } from "../../image/index.js";
import { MydockerError } from "../../util/errors.js";
import type { ContainerContext } from "./context.js";

export function containerChanges(ctx: ContainerContext, query: string): Change[] {
  const c = ctx.reconciler.resolve(query);
  if (c.hostConfig.Rootfs) {
    throw new MydockerError("EINVAL", `container ${c.name} runs on --rootfs ${c.hostConfig.Rootfs}: it writes there directly, with no layer of its own to compare`);
  }
  const [upper, ...lower] = ctx.view.layerDirs(c);
  return layerChanges(upper!, lower);
}
