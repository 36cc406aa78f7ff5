// What netavark is told of one run of a container: each network it is on and its end of each
// (interface, address, MAC, the names it answers to). Published ports are its monitor's.
import { macForIp } from "../../network/ipam.js";
import { netavarkName, netavarkNetwork } from "../../network/netavark.js";
import type { Endpoint, NetworkRecord } from "../../network/store.js";
import type { NetavarkConfig, NetavarkEndpoint } from "../../network/types.js";
import type { ContainerRecord } from "../container-store.js";
import { dnsAliases } from "./settings.js";

/** The container's end of network n, as interface iface. */
export function endpointConfig(c: ContainerRecord, n: NetworkRecord, ep: Endpoint, iface: string): NetavarkEndpoint {
  return { interface_name: iface, static_ips: [ep.ip], aliases: dnsAliases(c, n, ep), static_mac: ep.mac || macForIp(ep.ip) };
}

/** A run's description: its endpoints in connection order (eth0, eth1, …; undefined: a network gone meanwhile). */
export function runConfig(c: ContainerRecord, endpoints: { ep: Endpoint; n: NetworkRecord | undefined }[], tag: string): NetavarkConfig {
  const networks: NetavarkConfig["networks"] = {};
  const info: NetavarkConfig["network_info"] = {};
  endpoints.forEach(({ ep, n }, i) => {
    if (!n) return;
    networks[netavarkName(n)] = endpointConfig(c, n, ep, `eth${i}`);
    info[netavarkName(n)] = netavarkNetwork(n);
  });
  // --dns on a network with names: aardvark-dns's upstream for this container.
  const dns = c.hostConfig.Dns ?? [];
  const upstream = dns.length && Object.values(info).some((n) => n.dns_enabled) ? { dns_servers: dns } : {};
  return { container_id: tag, container_name: c.name, networks, network_info: info, ...upstream };
}
