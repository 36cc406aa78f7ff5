// docker's views of a network: `network inspect`'s JSON and `network ls`'s filters.
import { MydockerError } from "../../util/errors.js";
import { Filters } from "../filters.js";
import type { Endpoint, NetworkRecord } from "../../network/store.js";
import { DEFAULT_NETWORK } from "./modes.js";

/** What `network ls` shows of a network: a bridge of the store, or host or none. */
export interface NetworkSummary {
  id: string;
  name: string;
  driver: "bridge" | "host" | "null";
  internal: boolean;
  labels: Record<string, string>;
  created: string;
}

/** The networks docker has before any is made. */
const BUILTIN = new Set([DEFAULT_NETWORK, "host", "none"]);

export interface NetworkInspect {
  Name: string;
  Id: string;
  Created: string;
  Scope: "local";
  Driver: NetworkSummary["driver"];
  EnableIPv6: false;
  IPAM: { Driver: "default"; Options: Record<string, string> | null; Config: { Subnet: string; Gateway: string; IPRange?: string }[] | null };
  Internal: boolean;
  Attachable: false;
  Ingress: false;
  ConfigFrom: { Network: string };
  ConfigOnly: false;
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

export function networkInspect(n: NetworkRecord, members: { ep: Endpoint; name: string; mac: string }[]): NetworkInspect {
  const prefix = n.subnet.split("/")[1];
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: "local",
    Driver: "bridge",
    EnableIPv6: false,
    IPAM: { Driver: "default", Options: {}, Config: [{ Subnet: n.subnet, Gateway: n.gateway, ...(n.ipRange !== n.subnet ? { IPRange: n.ipRange } : {}) }] },
    Internal: n.internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: "" },
    ConfigOnly: false,
    Containers: Object.fromEntries(
      members.map(({ ep, name, mac }) => [
        ep.containerId,
        { Name: name, EndpointID: `${ep.containerId.slice(0, 32)}${n.id.slice(0, 32)}`, MacAddress: mac, IPv4Address: `${ep.ip}/${prefix}`, IPv6Address: "" },
      ]),
    ),
    Options: { "com.docker.network.bridge.name": n.bridge, ...n.options },
    Labels: n.labels,
  };
}

export const NETWORK_FILTERS = ["dangling", "driver", "id", "label", "name", "scope", "type"] as const;

/**
 * docker network ls --filter (name=, id=, label=K[=V], driver=, scope=, type=custom|builtin,
 * dangling=) as moby's network.NewFilter: values of one key are alternatives, bad values are
 * refused before anything is listed, and a predefined network is never dangling.
 */
export function networkFilter(given: readonly string[], inUse: (id: string) => boolean): (n: NetworkSummary) => boolean {
  const f = Filters.fromFlags(given, NETWORK_FILTERS);
  const dangling = f.get("dangling");
  if (dangling.length > 1) throw new MydockerError("EINVAL", `got more than one value for filter key "dangling"`);
  if (dangling.length && !["0", "false", "1", "true"].includes(dangling[0]!))
    throw new MydockerError("EINVAL", `invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")`);
  const danglingOnly = dangling.length ? dangling[0] === "1" || dangling[0] === "true" : undefined;
  for (const t of f.get("type")) if (t !== "custom" && t !== "builtin") throw new MydockerError("EINVAL", `invalid filter: 'type'='${t}': use custom or builtin`);
  return (n) =>
    f.exact("driver", n.driver) &&
    f.match("name", n.name) &&
    f.match("id", n.id) &&
    f.labels("label", n.labels) &&
    f.exact("scope", "local") &&
    (danglingOnly === undefined || (!BUILTIN.has(n.name) && !inUse(n.id)) === danglingOnly) &&
    (!f.has("type") || f.get("type").includes(BUILTIN.has(n.name) ? "builtin" : "custom"));
}
