// GET /system/df in docker's JSON (moby's types.DiskUsage): the engine's report, each
// image and container in its list shape with its sizes, and the build cache's records.
import type { CacheEntry } from "../../build/cache.js";
import type { ContainerRecord } from "../../engine/container-store.js";
import { mountsView } from "../../engine/inspect-host-config.js";
import type { DiskUsageReport } from "../../engine/system/disk-usage.js";
import type { containerSummary } from "./container.js";
import { imageSummary } from "./image.js";

export type DfType = "container" | "image" | "volume" | "build-cache";
export const DF_TYPES: readonly DfType[] = ["container", "image", "volume", "build-cache"];

/** summary: a container's list entry, as GET /containers/json gives it. */
export function diskUsageJson(du: DiskUsageReport, cache: CacheEntry[], types: readonly DfType[], summary: (c: ContainerRecord) => ReturnType<typeof containerSummary>) {
  const images = du.Images.map((i) => ({ ...imageSummary(i.record, i.Containers), SharedSize: i.SharedSize }));
  const containers = du.Containers.map((c) => ({
    ...summary(c.record),
    SizeRw: c.SizeRw,
    SizeRootFs: c.SizeRw + (du.Images.find((i) => i.Id === c.record.imageId)?.Size ?? 0),
    // docker system df counts a container's local volumes from these.
    Mounts: mountsView(c.record),
  }));
  const buildCache = cache.map((e) => ({
    ID: e.key.slice(0, 25),
    Parents: null,
    Type: "regular",
    Description: "a cached build step",
    InUse: false,
    Shared: false,
    Size: e.size,
    CreatedAt: e.createdAt,
    LastUsedAt: e.lastUsedAt,
    UsageCount: 1,
  }));
  return {
    ...(types.includes("image") ? { LayersSize: du.LayersSize, Images: images } : {}),
    ...(types.includes("container") ? { Containers: containers } : {}),
    ...(types.includes("volume") ? { Volumes: du.Volumes } : {}),
    ...(types.includes("build-cache") ? { BuildCache: buildCache } : {}),
  };
}
