// docker ps --filter (the API's /containers/json filters): which containers a filter lets
// through, as moby's daemon/list.go decides. Shared by the command line and the API.
import { MydockerError } from "../../util/errors.js";
import type { ContainerRecord } from "../container-store.js";
import { Filters, type FilterMap } from "../filters.js";

export const CONTAINER_FILTERS = ["ancestor", "before", "exited", "health", "id", "label", "name", "network", "since", "status", "volume"] as const;

const STATUSES = ["created", "restarting", "running", "removing", "paused", "exited", "dead"];
const HEALTH = ["starting", "healthy", "unhealthy", "none"];

/** A container's health status as ps filters it: "none" without a health check. */
export function healthStatus(c: ContainerRecord): string {
  return c.state.health?.Status ?? "none";
}

/** docker's Match on a name: each value a regular expression, tried with and without the name's "/" (one that does not compile matches nothing). */
function nameMatches(patterns: string[], name: string): boolean {
  return patterns.some((p) => {
    try {
      const re = new RegExp(p);
      return re.test(name) || re.test(`/${name}`);
    } catch {
      return false;
    }
  });
}

/** Whether a list without -a (all) shows stopped containers too: only a status filter does, as moby's foldFilter sets All. */
export function filtersListAll(given: readonly string[] | FilterMap): boolean {
  return (Array.isArray(given) ? Filters.fromFlags(given, CONTAINER_FILTERS) : Filters.from(given as FilterMap, CONTAINER_FILTERS)).has("status");
}

const invalid = (key: string, value: string, valid?: string[]) =>
  new MydockerError("EINVAL", `invalid filter '${key}=${value}'${valid ? `: use ${valid.slice(0, -1).join(", ")} or ${valid[valid.length - 1]}` : ""}`);

/**
 * A predicate over containers for the filters; others is every container (for before= and
 * since=, which name one), newest first. Bad values are refused before anything is listed.
 */
export function containerFilter(
  given: readonly string[] | FilterMap,
  others: () => ContainerRecord[],
  /** The names and ids of the networks a container is on (asked only for network=). */
  networks: (c: ContainerRecord) => string[] = () => [],
): (c: ContainerRecord) => boolean {
  const f = Array.isArray(given) ? Filters.fromFlags(given, CONTAINER_FILTERS) : Filters.from(given as FilterMap, CONTAINER_FILTERS);
  for (const v of f.get("status")) if (!STATUSES.includes(v)) throw invalid("status", v, STATUSES);
  for (const v of f.get("health")) if (!HEALTH.includes(v)) throw invalid("health", v, HEALTH);
  for (const v of f.get("exited")) if (!/^-?\d+$/.test(v)) throw invalid("exited", v);
  const created = (key: string): number | undefined => {
    const v = f.get(key)[0];
    if (v === undefined) return undefined;
    const c = others().find((o) => o.id === v || o.name === v.replace(/^\//, "")) ?? others().find((o) => o.id.startsWith(v));
    if (!c) throw new MydockerError("ENOCONTAINER", `No such container: ${v}`, 1);
    return Date.parse(c.created);
  };
  const before = created("before");
  const since = created("since");
  return (c) => {
    const t = Date.parse(c.created);
    return (
      f.exact("status", c.state.status) &&
      f.fuzzy("id", c.id) &&
      (!f.has("name") || nameMatches(f.get("name"), c.name)) &&
      f.labels("label", c.config.Labels) &&
      (!f.has("ancestor") || f.get("ancestor").some((a) => c.image === a || c.image === `${a}:latest` || c.imageId.startsWith(a) || c.imageId.startsWith(`sha256:${a}`))) &&
      (before === undefined || t < before) &&
      (since === undefined || t > since) &&
      (!f.has("exited") || (c.state.status === "exited" && f.get("exited").some((v) => Number(v) === c.state.exitCode))) &&
      f.exact("health", healthStatus(c)) &&
      (!f.has("volume") || f.get("volume").some((v) => (c.hostConfig.Volumes ?? []).includes(v) || c.hostConfig.Mounts.some((m) => m.destination === v || m.source === v))) &&
      (!f.has("network") || ((on) => f.get("network").some((n) => on.includes(n)))([c.hostConfig.NetworkMode, ...networks(c)]))
    );
  };
}
