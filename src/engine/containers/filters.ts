// docker ps --filter (the API's /containers/json filters): which containers a filter lets
// through, as moby's daemon/list.go decides. Shared by the command line and the API.
import { MydockerError } from "../../util/errors.js";
import type { ContainerRecord } from "../container-store.js";
import { Filters, type FilterMap } from "../filters.js";

export const CONTAINER_FILTERS = ["ancestor", "before", "exited", "expose", "health", "id", "label", "name", "network", "publish", "since", "status", "volume"] as const;

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

/** publish= and expose= values as moby's portOp reads them: PORT or START-END, then /PROTO (tcp when left out), as "PORT/PROTO" keys. */
function portSet(key: string, values: string[]): Set<string> {
  const out = new Set<string>();
  for (const v of values) {
    if (v.includes(":")) throw new MydockerError("EINVAL", `filter for '${key}' should not contain ':': ${v}`);
    const [range = "", proto = "tcp"] = v.split("/", 2);
    const m = /^(\d+)(?:-(\d+))?$/.exec(range);
    const start = Number(m?.[1]);
    const end = Number(m?.[2] ?? m?.[1]);
    if (!m || end > 65535 || end < start) throw new MydockerError("EINVAL", `error while looking up for ${key} ${v}: invalid port range: use PORT or START-END, then /tcp or /udp`);
    for (let p = start; p <= end; p++) out.add(`${p}/${proto}`);
  }
  return out;
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
  lookups: {
    /** The names and ids of the networks a container is on (asked only for network=). */
    networks?: (c: ContainerRecord) => string[];
    /** Its ports as inspect's NetworkSettings.Ports has them (asked only for publish= and expose=). */
    ports?: (c: ContainerRecord) => Record<string, { HostPort: string }[] | null>;
  } = {},
): (c: ContainerRecord) => boolean {
  const networks = lookups.networks ?? (() => []);
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
  const publish = portSet("publish", f.get("publish"));
  const expose = portSet("expose", f.get("expose"));
  // As moby: one port of the container published or exposed as asked is enough.
  const portsMatch = (c: ContainerRecord): boolean =>
    Object.entries(lookups.ports?.(c) ?? {}).some(([key, bindings]) => expose.has(key) || (bindings ?? []).some((b) => publish.has(`${b.HostPort}/${key.split("/")[1] ?? "tcp"}`)));
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
      (!f.has("network") || ((on) => f.get("network").some((n) => on.includes(n)))([c.hostConfig.NetworkMode, ...networks(c)])) &&
      ((publish.size === 0 && expose.size === 0) || portsMatch(c))
    );
  };
}
