// docker images REPOSITORY[:TAG] and --filter (the API's /images/json filters): which
// images, and which of their names, a filter lets through, as moby decides.
import { familiarName, type ImageRecord } from "../image/index.js";
import { MydockerError } from "../util/errors.js";
import { Filters, type FilterMap } from "./filters.js";
import { parseDockerTime } from "./timestamps.js";

export const IMAGE_FILTERS = ["dangling", "label", "before", "since", "until", "reference"] as const;

/** Go's path.Match as a regular expression: `*` and `?` stop at "/", `[...]` a class. */
function globRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else if (ch === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) throw new MydockerError("EINVAL", `invalid reference format: bad pattern ${pattern}`);
      re += `[${pattern.slice(i + 1, end).replace(/^\^/, "^").replace(/\\/g, "\\\\")}]`;
      i = end;
    } else if (ch === "\\" && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else re += ch.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** reference.FamiliarMatch: the pattern against "name:tag", then against the name alone. */
function referenceMatches(patterns: RegExp[], name: string): boolean {
  const familiar = familiarName(name);
  const at = familiar.indexOf("@");
  const colon = familiar.lastIndexOf(":");
  const repo = at >= 0 ? familiar.slice(0, at) : colon > familiar.lastIndexOf("/") ? familiar.slice(0, colon) : familiar;
  return patterns.some((p) => p.test(familiar) || p.test(repo));
}

export interface ImageSelection {
  /** Whether the image is listed at all. */
  image(img: ImageRecord): boolean;
  /** Which of its full names (tags and digests) are shown: all, unless a reference is given. */
  names(names: readonly string[]): string[];
}

/** The filters (and an images REPOSITORY[:TAG] argument, a reference filter as in docker) as a selection. */
export function imageSelection(given: readonly string[] | FilterMap, resolve: (ref: string) => ImageRecord | undefined, repository?: string): ImageSelection {
  const map = Array.isArray(given) ? Filters.fromFlags(given, IMAGE_FILTERS).toJSON() : { ...(given as FilterMap) };
  if (repository !== undefined) map.reference = [...(map.reference ?? []), repository];
  const f = Filters.from(map, IMAGE_FILTERS);
  const dangling = f.bool("dangling");
  const createdOf = (key: "before" | "since") => {
    const v = f.get(key)[0];
    if (v === undefined) return undefined;
    const img = resolve(v);
    if (!img) throw new MydockerError("image_not_found", `No such image: ${v}`, 1);
    return Date.parse(img.created);
  };
  const before = createdOf("before");
  const since = createdOf("since");
  const until = f.get("until")[0];
  const untilMs = until === undefined ? undefined : Number(parseDockerTime(until) / 1_000_000n);
  const patterns = f.get("reference").map(globRegExp);
  const names = (all: readonly string[]) => (patterns.length ? all.filter((n) => referenceMatches(patterns, n)) : [...all]);
  return {
    names,
    image(img) {
      const t = Date.parse(img.created);
      return (
        (dangling === undefined || (img.names.length === 0) === dangling) &&
        f.labels("label", img.config.config?.Labels ?? {}) &&
        (before === undefined || t < before) &&
        (since === undefined || t > since) &&
        (untilMs === undefined || t <= untilMs) &&
        (patterns.length === 0 || names([...img.names, ...img.digests]).length > 0)
      );
    },
  };
}
