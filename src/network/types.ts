// netavark's input and output (netavark 1.x, `netavark setup NETNS` reads a NetavarkConfig on
// stdin and prints one StatusBlock per network). Field names are netavark's own. It is given no
// port_mappings: the container's monitor forwards published ports (native/forward.c).

export interface NetavarkSubnet {
  subnet: string;
  gateway?: string;
}

/** One network as netavark knows it: the bridge and the subnet the engine allocated. */
export interface NetavarkNetwork {
  name: string;
  id: string;
  driver: "bridge";
  network_interface: string;
  subnets: NetavarkSubnet[];
  ipv6_enabled: boolean;
  internal: boolean;
  dns_enabled: boolean;
  ipam_options: { driver: "host-local" };
  options?: Record<string, string>;
}

/** The container's end of one network: its interface, its address, the names it answers to. */
export interface NetavarkEndpoint {
  interface_name: string;
  static_ips: string[];
  static_mac?: string;
  aliases: string[];
}

export interface NetavarkConfig {
  container_id: string;
  container_name: string;
  networks: Record<string, NetavarkEndpoint>;
  network_info: Record<string, NetavarkNetwork>;
  dns_servers?: string[];
}

export interface NetavarkInterfaceStatus {
  mac_address: string;
  subnets: { ipnet: string; gateway?: string }[];
}

export interface NetavarkStatus {
  dns_search_domains?: string[];
  dns_server_ips?: string[];
  interfaces: Record<string, NetavarkInterfaceStatus>;
}

/** What `netavark setup` prints: a status per network name. */
export type NetavarkResult = Record<string, NetavarkStatus>;
