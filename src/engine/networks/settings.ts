// What a container's networks look like to a user: docker's NetworkSettings (inspect), the
// published ports (port, ps's PORTS column).
import type { Endpoint, NetworkRecord } from "../../network/store.js";
import type { ContainerRecord } from "../container-store.js";
import type { NetavarkConfig, NetavarkResult } from "../../network/types.js";
import { netavarkName } from "../../network/netavark.js";
import type { PublishedPort } from "../../network/ports.js";

/** What one run of a container was given: netavark's input and its answer, and the ports its monitor publishes. */
export interface NetworkRun {
  config: NetavarkConfig;
  result: NetavarkResult;
  ports: PublishedPort[];
}

export interface PortPublished {
  HostIp: string;
  HostPort: string;
}

export interface EndpointSettings {
  IPAMConfig: { IPv4Address: string } | null;
  Links: null;
  Aliases: string[];
  MacAddress: string;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: string[] | null;
}

export interface NetworkSettings {
  Bridge: string;
  SandboxID: string;
  SandboxKey: string;
  Ports: Record<string, PortPublished[] | null>;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  MacAddress: string;
  Networks: Record<string, EndpointSettings>;
}

/** Container port → where it is published in this run (null: exposed only). */
export function publishedPorts(c: ContainerRecord, run: NetworkRun | undefined): Record<string, PortPublished[] | null> {
  const out: Record<string, PortPublished[] | null> = {};
  for (const key of Object.keys(c.config.ExposedPorts ?? {})) out[key] = null;
  for (const p of run?.ports ?? []) {
    (out[`${p.containerPort}/${p.protocol}`] ??= []).push({ HostIp: p.hostIp || "0.0.0.0", HostPort: String(p.hostPort) });
  }
  return out;
}

/** ps's PORTS: "127.0.0.1:8080->80/tcp, 443/tcp". */
export function portsText(ports: Record<string, PortPublished[] | null>): string {
  return Object.entries(ports)
    .flatMap(([key, list]) => (list ? list.map((p) => `${p.HostIp}:${p.HostPort}->${key}`) : [key]))
    .join(", ");
}

export function networkSettings(c: ContainerRecord, eps: { ep: Endpoint; n: NetworkRecord }[], run: NetworkRun | undefined, nsPath: string): NetworkSettings {
  const running = run !== undefined;
  const networks: Record<string, EndpointSettings> = {};
  for (const { ep, n } of eps) {
    const status = run?.result[netavarkName(n)];
    const iface = status ? Object.values(status.interfaces)[0] : undefined;
    networks[n.name] = {
      IPAMConfig: ep.ip && n.name !== "bridge" ? { IPv4Address: ep.ip } : null,
      Links: null,
      Aliases: ep.aliases,
      MacAddress: running ? (iface?.mac_address ?? ep.mac) : "",
      NetworkID: n.id,
      EndpointID: running ? `${c.id.slice(0, 32)}${n.id.slice(0, 32)}` : "",
      Gateway: running ? n.gateway : "",
      IPAddress: running ? ep.ip : "",
      IPPrefixLen: running ? Number(n.subnet.split("/")[1]) : 0,
      IPv6Gateway: "",
      GlobalIPv6Address: "",
      GlobalIPv6PrefixLen: 0,
      DNSNames: n.dns ? [c.name, c.id.slice(0, 12), ...ep.aliases] : null,
    };
  }
  const first = Object.values(networks)[0];
  return {
    Bridge: "",
    SandboxID: running ? c.id : "",
    SandboxKey: running ? nsPath : "",
    Ports: running ? publishedPorts(c, run) : {},
    Gateway: first?.Gateway ?? "",
    IPAddress: first?.IPAddress ?? "",
    IPPrefixLen: first?.IPPrefixLen ?? 0,
    MacAddress: first?.MacAddress ?? "",
    Networks: networks,
  };
}

/**
 * The names besides its own a container answers to on network n: its short id and aliases.
 * netavark gives aardvark-dns the container's name itself; listed again, it was answered twice.
 */
export function dnsAliases(c: ContainerRecord, n: NetworkRecord, ep: Endpoint): string[] {
  return n.dns ? [...new Set([c.id.slice(0, 12), ...ep.aliases])].filter((a) => a !== c.name) : [];
}
