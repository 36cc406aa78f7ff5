// Images in docker's JSON list shape (ImageSummary).
import { familiarName, type ImageRecord } from "../../image/index.js";

export function imageSummary(i: ImageRecord, containers: number) {
  return {
    Id: i.id,
    ParentId: "",
    RepoTags: i.names.map(familiarName),
    RepoDigests: i.digests.map(familiarName),
    Created: Math.floor(Date.parse(i.created) / 1000) || 0,
    Size: i.size,
    SharedSize: -1,
    Labels: i.config.config?.Labels ?? {},
    Containers: containers,
  };
}
