// docker's views of a network: `network inspect`'s JSON and `network ls`'s filters.
import { FlagError, MydockerError } from "../../util/errors.js";
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

/** docker network ls --filter: name=, id=, label=K[=V], driver=, type=custom|builtin, dangling=true|false. */
export function networkMatches(n: NetworkSummary, filters: string[], inUse: (id: string) => boolean): boolean {
  return filters.every((f) => {
    const i = f.indexOf("=");
    if (i < 0) throw new FlagError("EINVAL", `bad format of filter (expected name=value): ${f}`);
    const key = f.slice(0, i);
    const value = f.slice(i + 1);
    switch (key) {
      case "name":
        return n.name.includes(value);
      case "id":
        return n.id.startsWith(value);
      case "driver":
        return n.driver === value;
      case "label": {
        const [k, v] = value.split("=", 2);
        return k! in n.labels && (v === undefined || n.labels[k!] === v);
      }
      case "type":
        if (value !== "custom" && value !== "builtin") throw new MydockerError("EINVAL", `invalid filter: 'type'='${value}': use custom or builtin`);
        return BUILTIN.has(n.name) === (value === "builtin");
      case "dangling":
        return inUse(n.id) !== (value === "true" || value === "1");
      default:
        throw new MydockerError("EINVAL", `invalid filter '${key}'`);
    }
  });
}
