// docker's networks that are no bridge: `host` (the host's own stack) and `none` (a loopback
// only). Listed and inspected as docker shows them; never made, connected, removed or pruned.
import { createHash } from "node:crypto";
import type { NetworkInspect, NetworkSummary } from "./view.js";

const DRIVERS = { host: "host", none: "null" } as const;

export function isPredefinedName(name: string): name is keyof typeof DRIVERS {
  return Object.hasOwn(DRIVERS, name);
}

/**
 * host and none of one engine root. docker keeps ids it made at its first start; these are
 * derived from the root instead, so that they are the same at every look without being stored,
 * and dated as the root's default bridge (made at the first look as well).
 */
export function predefinedNetworks(root: string, created: string): NetworkSummary[] {
  return Object.entries(DRIVERS).map(([name, driver]) => ({
    id: createHash("sha256").update(`mydocker-network\0${root}\0${name}`).digest("hex"),
    name,
    driver,
    internal: false,
    labels: {},
    created,
  }));
}

/** One of them by name, full id or unique id prefix. */
export function findPredefined(all: NetworkSummary[], query: string): NetworkSummary | undefined {
  const byName = all.find((n) => n.name === query);
  if (byName) return byName;
  const prefixed = query === "" ? [] : all.filter((n) => n.id.startsWith(query));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** docker network inspect host|none: no address management, no options. */
export function predefinedInspect(n: NetworkSummary): NetworkInspect {
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: "local",
    Driver: n.driver,
    EnableIPv6: false,
    IPAM: { Driver: "default", Options: null, Config: null },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: "" },
    ConfigOnly: false,
    Containers: {},
    Options: {},
    Labels: {},
  };
}
