// docker system df [-v] [--format]: docker's summary table and its verbose sections.
import type { Engine } from "../../engine/engine.js";
import { statusText } from "../../engine/inspect.js";
import type { DiskUsageReport } from "../../engine/system/disk-usage.js";
import { BuildCache } from "../../build/cache.js";
import { formatList, humanDuration, humanSize, type ListFormat } from "../format.js";

const SUMMARY: ListFormat = {
  table: "{{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
  headers: { Type: "TYPE", TotalCount: "TOTAL", Active: "ACTIVE", Size: "SIZE", Reclaimable: "RECLAIMABLE" },
};
const IMAGES: ListFormat = {
  table: "{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}",
  headers: { Repository: "REPOSITORY", Tag: "TAG", ID: "IMAGE ID", CreatedSince: "CREATED", Size: "SIZE", SharedSize: "SHARED SIZE", UniqueSize: "UNIQUE SIZE", Containers: "CONTAINERS" },
};
const CONTAINERS: ListFormat = {
  table: "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}",
  headers: { ID: "CONTAINER ID", Image: "IMAGE", Command: "COMMAND", LocalVolumes: "LOCAL VOLUMES", Size: "SIZE", RunningFor: "CREATED", Status: "STATUS", Names: "NAMES" },
};
const VOLUMES: ListFormat = { table: "{{.Name}}\t{{.Links}}\t{{.Size}}", headers: { Name: "VOLUME NAME", Links: "LINKS", Size: "SIZE" } };

/** docker's "1.2MB (40%)": the share of the total, rounded down. */
function share(part: number, total: number): string {
  return total > 0 ? `${humanSize(part)} (${Math.floor((part * 100) / total)}%)` : humanSize(part);
}

function summary(du: DiskUsageReport, cache: { entries: number; size: number }) {
  // As docker: what the images in use hold on their own is in use; the rest can be reclaimed.
  const used = du.Images.filter((i) => i.Containers > 0).reduce((s, i) => s + i.Size - i.SharedSize, 0);
  const running = (s: string) => s === "running" || s === "paused" || s === "restarting";
  const ctrSize = du.Containers.reduce((s, c) => s + c.SizeRw, 0);
  const volSize = du.Volumes.reduce((s, v) => s + v.UsageData.Size, 0);
  return [
    { Type: "Images", TotalCount: du.Images.length, Active: du.Images.filter((i) => i.Containers > 0).length, Size: humanSize(du.LayersSize), Reclaimable: share(Math.max(0, du.LayersSize - used), du.LayersSize) },
    {
      Type: "Containers", TotalCount: du.Containers.length, Active: du.Containers.filter((c) => running(c.State)).length, Size: humanSize(ctrSize),
      Reclaimable: share(du.Containers.filter((c) => !running(c.State)).reduce((s, c) => s + c.SizeRw, 0), ctrSize),
    },
    {
      Type: "Local Volumes", TotalCount: du.Volumes.length, Active: du.Volumes.filter((v) => v.UsageData.RefCount > 0).length, Size: humanSize(volSize),
      Reclaimable: share(du.Volumes.filter((v) => v.UsageData.RefCount === 0).reduce((s, v) => s + v.UsageData.Size, 0), volSize),
    },
    { Type: "Build Cache", TotalCount: cache.entries, Active: 0, Size: humanSize(cache.size), Reclaimable: humanSize(cache.size) },
  ];
}

function verbose(du: DiskUsageReport, cacheSize: number): string {
  const now = Date.now();
  const ago = (t: string) => `${humanDuration(now - Date.parse(t))} ago`;
  const familiar = (n: string) => n.replace(/^docker\.io\/(library\/)?/, "");
  const images = du.Images.flatMap((i) =>
    (i.RepoTags.length ? i.RepoTags.map(familiar) : ["<none>:<none>"]).map((n) => {
      const colon = n.lastIndexOf(":");
      return {
        Repository: n.slice(0, colon), Tag: n.slice(colon + 1), ID: i.Id.replace(/^sha256:/, "").slice(0, 12), CreatedSince: ago(i.Created),
        Size: humanSize(i.Size), SharedSize: humanSize(i.SharedSize), UniqueSize: humanSize(i.Size - i.SharedSize), Containers: i.Containers,
      };
    }),
  );
  const containers = du.Containers.map((c) => ({
    ID: c.Id.slice(0, 12), Image: c.Image, Command: `"${c.Command.length > 20 ? `${c.Command.slice(0, 19)}…` : c.Command}"`, LocalVolumes: c.LocalVolumes,
    Size: humanSize(c.SizeRw), RunningFor: ago(c.Created), Status: statusText(c.record, now, humanDuration), Names: c.Names.join(","),
  }));
  const volumes = du.Volumes.map((v) => ({ Name: v.Name, Links: v.UsageData.RefCount, Size: humanSize(v.UsageData.Size) }));
  return [
    "Images space usage:\n\n" + formatList(images, undefined, IMAGES),
    "Containers space usage:\n\n" + formatList(containers, undefined, CONTAINERS),
    "Local Volumes space usage:\n\n" + formatList(volumes, undefined, VOLUMES),
    `Build cache usage: ${humanSize(cacheSize)}\n`,
  ].join("\n");
}

export async function systemDfCommand(engine: Engine, f: { verbose?: boolean; format?: string }): Promise<void> {
  const du = await engine.system.df();
  const cache = new BuildCache(engine.images).usage();
  process.stdout.write(f.verbose && !f.format ? verbose(du, cache.size) : formatList(summary(du, cache), f.format, SUMMARY));
}
