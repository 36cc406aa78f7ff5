// docker system df: what images, containers and volumes hold on disk, in the shape of the
// Engine API's /system/df, with what each shares and what is in use.
import path from "node:path";
import type { ImageRecord } from "../../image/index.js";
import type { ContainerRecord } from "../container-store.js";
import type { ContainerContext } from "../containers/context.js";
import { treeSize } from "../disk-usage.js";
import { containerDir } from "../paths.js";
import type { Volume } from "../volumes/store.js";

export interface DfImage {
  Id: string;
  RepoTags: string[];
  Created: string;
  Size: number;
  /** Bytes of its layers that other images have too. */
  SharedSize: number;
  /** Containers made from it. */
  Containers: number;
  record: ImageRecord;
}

export interface DfContainer {
  Id: string;
  Names: string[];
  Image: string;
  Command: string;
  Created: string;
  State: string;
  SizeRw: number;
  /** Volumes it mounts. */
  LocalVolumes: number;
  record: ContainerRecord;
}

export type DfVolume = Volume & { UsageData: { Size: number; RefCount: number } };

export interface DiskUsageReport {
  LayersSize: number;
  Images: DfImage[];
  Containers: DfContainer[];
  Volumes: DfVolume[];
}

export function diskUsage(ctx: ContainerContext, containers: ContainerRecord[]): DiskUsageReport {
  const images = ctx.images.list();
  const holders = new Map<string, number>();
  for (const img of images) for (const l of new Set(img.layers)) holders.set(l, (holders.get(l) ?? 0) + 1);
  const layerSize = (l: string) => ctx.images.catalog.layerSize(l as never) ?? 0;
  const counted = new Set<string>();
  let layersSize = 0;
  const dfImages = images.map((img) => {
    const layers = [...new Set(img.layers)];
    for (const l of layers) if (!counted.has(l)) (counted.add(l), (layersSize += layerSize(l)));
    return {
      Id: img.id,
      RepoTags: img.names,
      Created: img.created,
      Size: img.size,
      SharedSize: layers.filter((l) => (holders.get(l) ?? 0) > 1).reduce((s, l) => s + layerSize(l), 0),
      Containers: containers.filter((c) => c.imageId === img.id).length,
      record: img,
    };
  });
  const dfContainers = containers.map((c) => ({
    Id: c.id,
    Names: [c.name],
    Image: c.image || c.hostConfig.Rootfs,
    Command: [...(c.config.Entrypoint ?? []), ...c.config.Cmd].join(" "),
    Created: c.created,
    State: c.state.status,
    SizeRw: treeSize(path.join(containerDir(ctx.roots, c.id), "upper")),
    LocalVolumes: c.hostConfig.Volumes.length,
    record: c,
  }));
  const users = (name: string) => ctx.containers.usingVolume(name);
  const dfVolumes = ctx.volumes.list({}, users).map((v) => ({ ...v, UsageData: { Size: treeSize(v.Mountpoint), RefCount: users(v.Name).length } }));
  return { LayersSize: layersSize, Images: dfImages, Containers: dfContainers, Volumes: dfVolumes };
}
