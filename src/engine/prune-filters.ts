// The filters of container, image and network prune (docker's --filter, the API's
// `filters`), as moby's prunes read them: what each lets the prune remove. Shared by the
// command line and the API; a bad filter is refused before anything is removed.
import type { ImageRecord } from "../image/index.js";
import type { NetworkRecord } from "../network/store.js";
import type { ContainerRecord } from "./container-store.js";
import { Filters, type FilterMap } from "./filters.js";

const LABELS_AND_UNTIL = ["label", "label!", "until"] as const;

function filtersOf(given: readonly string[] | FilterMap, accepted: readonly string[]): Filters {
  return Array.isArray(given) ? Filters.fromFlags(given, accepted) : Filters.from(given as FilterMap, accepted);
}

export function containerPruneFilter(given: readonly string[] | FilterMap): (c: ContainerRecord) => boolean {
  const select = filtersOf(given, LABELS_AND_UNTIL).pruneSelection();
  return (c) => select({ created: c.created, labels: c.config.Labels });
}

export function networkPruneFilter(given: readonly string[] | FilterMap): (n: NetworkRecord) => boolean {
  const select = filtersOf(given, LABELS_AND_UNTIL).pruneSelection();
  return (n) => select({ created: n.created, labels: n.labels });
}

/** all: named images too (dangling=false, as -a); only: what until and the labels let go. */
export function imagePruneFilter(given: readonly string[] | FilterMap, all = false): { all: boolean; only: (i: ImageRecord) => boolean } {
  const f = filtersOf(given, ["dangling", ...LABELS_AND_UNTIL]);
  const select = f.pruneSelection();
  // As dockerd: dangling (true unless given) is the opposite of prune -a.
  return { all: all || f.bool("dangling") === false, only: (i) => select({ created: i.created, labels: i.config.config?.Labels ?? {} }) };
}
