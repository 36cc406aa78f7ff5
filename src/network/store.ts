// Networks and endpoints (a container's address on a network) in the engine's SQLite store.
// UNIQUE (network, ip) is what makes concurrent address allocation safe: one insert wins.
import type { Db } from "../store/db.js";
import { MydockerError } from "../util/errors.js";

export interface NetworkRecord {
  id: string;
  name: string;
  driver: "bridge";
  /** The host's bridge interface. */
  bridge: string;
  subnet: string;
  gateway: string;
  ipRange: string;
  internal: boolean;
  /** Containers find each other by name (aardvark-dns): every network but the default bridge. */
  dns: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
  created: string;
}

export interface Endpoint {
  networkId: string;
  containerId: string;
  ip: string;
  mac: string;
  aliases: string[];
}

interface NetworkRow {
  id: string;
  name: string;
  driver: string;
  bridge: string;
  subnet: string;
  gateway: string;
  ip_range: string;
  internal: number;
  dns: number;
  labels: string;
  options: string;
  created: string;
}

interface EndpointRow {
  network_id: string;
  container_id: string;
  ip: string;
  mac: string;
  aliases: string;
}

function networkFrom(r: NetworkRow): NetworkRecord {
  return {
    id: r.id,
    name: r.name,
    driver: "bridge",
    bridge: r.bridge,
    subnet: r.subnet,
    gateway: r.gateway,
    ipRange: r.ip_range,
    internal: r.internal === 1,
    dns: r.dns === 1,
    labels: JSON.parse(r.labels) as Record<string, string>,
    options: JSON.parse(r.options) as Record<string, string>,
    created: r.created,
  };
}

function endpointFrom(r: EndpointRow): Endpoint {
  return { networkId: r.network_id, containerId: r.container_id, ip: r.ip, mac: r.mac, aliases: JSON.parse(r.aliases) as string[] };
}

const isUnique = (e: unknown) => (e as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE" || (e as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY";

export class NetworkStore {
  constructor(private readonly db: Db) {}

  insert(n: NetworkRecord): void {
    try {
      this.db
        .prepare("INSERT INTO networks (id, name, driver, bridge, subnet, gateway, ip_range, internal, dns, labels, options, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .run(n.id, n.name, n.driver, n.bridge, n.subnet, n.gateway, n.ipRange, n.internal ? 1 : 0, n.dns ? 1 : 0, JSON.stringify(n.labels), JSON.stringify(n.options), n.created);
    } catch (e) {
      if (!isUnique(e)) throw e;
      const byName = this.byName(n.name);
      if (byName) throw new MydockerError("ENETEXISTS", `network with name ${n.name} already exists`);
      throw new MydockerError("ENETEXISTS", `bridge ${n.bridge} is already used by another network: choose another com.docker.network.bridge.name`);
    }
  }

  get(id: string): NetworkRecord | undefined {
    const r = this.db.prepare("SELECT * FROM networks WHERE id = ?").get(id) as NetworkRow | undefined;
    return r ? networkFrom(r) : undefined;
  }

  byName(name: string): NetworkRecord | undefined {
    const r = this.db.prepare("SELECT * FROM networks WHERE name = ?").get(name) as NetworkRow | undefined;
    return r ? networkFrom(r) : undefined;
  }

  /** Networks whose id starts with prefix (ids are lowercase hex). */
  byIdPrefix(prefix: string): NetworkRecord[] {
    if (!/^[0-9a-f]+$/.test(prefix)) return [];
    return (this.db.prepare("SELECT * FROM networks WHERE id >= ? AND id < ? ORDER BY id LIMIT 2").all(prefix, `${prefix}g`) as NetworkRow[]).map(networkFrom);
  }

  all(): NetworkRecord[] {
    return (this.db.prepare("SELECT * FROM networks ORDER BY created, name").all() as NetworkRow[]).map(networkFrom);
  }

  delete(id: string): void {
    this.db.prepare("DELETE FROM networks WHERE id = ?").run(id);
  }

  /** Adds an endpoint; false when its address was taken meanwhile. Throws when the container is on the network already. */
  addEndpoint(e: Endpoint): boolean {
    const position = (this.db.prepare("SELECT COALESCE(MAX(position), -1) + 1 AS p FROM network_endpoints WHERE container_id = ?").get(e.containerId) as { p: number }).p;
    try {
      this.db
        .prepare("INSERT INTO network_endpoints (network_id, container_id, ip, mac, aliases, position) VALUES (?, ?, ?, ?, ?, ?)")
        .run(e.networkId, e.containerId, e.ip, e.mac, JSON.stringify(e.aliases), position);
      return true;
    } catch (err) {
      if (!isUnique(err)) throw err;
      if (this.db.prepare("SELECT 1 FROM network_endpoints WHERE network_id = ? AND container_id = ?").get(e.networkId, e.containerId)) {
        throw new MydockerError("EEXIST", `container ${e.containerId.slice(0, 12)} is already connected to the network`);
      }
      return false;
    }
  }

  /** Moves a container's address on a network; false when another endpoint has that address. */
  setEndpointIp(networkId: string, containerId: string, ip: string): boolean {
    try {
      return this.db.prepare("UPDATE network_endpoints SET ip = ? WHERE network_id = ? AND container_id = ?").run(ip, networkId, containerId).changes === 1;
    } catch (e) {
      if (isUnique(e)) return false;
      throw e;
    }
  }

  removeEndpoint(networkId: string, containerId: string): void {
    this.db.prepare("DELETE FROM network_endpoints WHERE network_id = ? AND container_id = ?").run(networkId, containerId);
  }

  /** A container's endpoints in connection order. */
  endpointsOf(containerId: string): Endpoint[] {
    return (this.db.prepare("SELECT * FROM network_endpoints WHERE container_id = ? ORDER BY position").all(containerId) as EndpointRow[]).map(endpointFrom);
  }

  endpointsOn(networkId: string): Endpoint[] {
    return (this.db.prepare("SELECT * FROM network_endpoints WHERE network_id = ?").all(networkId) as EndpointRow[]).map(endpointFrom);
  }

  /** The address last given out on a network ('' for none yet). */
  lastIp(networkId: string): string {
    return (this.db.prepare("SELECT ip FROM network_last_ip WHERE network_id = ?").get(networkId) as { ip: string } | undefined)?.ip ?? "";
  }

  setLastIp(networkId: string, ip: string): void {
    this.db.prepare("INSERT INTO network_last_ip (network_id, ip) VALUES (?, ?) ON CONFLICT (network_id) DO UPDATE SET ip = excluded.ip").run(networkId, ip);
  }

  /** The container that has ip on a network, if any. */
  holderOf(networkId: string, ip: string): string | undefined {
    return (this.db.prepare("SELECT container_id FROM network_endpoints WHERE network_id = ? AND ip = ?").get(networkId, ip) as { container_id: string } | undefined)?.container_id;
  }

  usedIps(networkId: string): string[] {
    return (this.db.prepare("SELECT ip FROM network_endpoints WHERE network_id = ?").all(networkId) as { ip: string }[]).map((r) => r.ip);
  }
}
