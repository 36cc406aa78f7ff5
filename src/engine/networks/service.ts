// The networks a user makes and sees (docker network create/ls/inspect/rm/prune), and the
// default `bridge` network, made on first use. Every network claims its subnet host-wide
// (network/claims.ts) and never one the host already routes.
import type { NetworkEventSink } from "../events/types.js";
import path from "node:path";
import { MydockerError } from "../../util/errors.js";
import { claimSubnet, claimedOverlaps, describeClaim, releaseSubnet } from "../../network/claims.js";
import { netavarkNetwork } from "../../network/netavark.js";
import { contains, firstHost, formatCidr, formatIp, hostRoutes, overlaps, parseCidr, parseIp, poolSubnets, type Cidr } from "../../network/ipam.js";
import type { NetworkRecord, NetworkStore } from "../../network/store.js";
import { generateId } from "../names.js";
import type { ContainerRecord } from "../container-store.js";
import type { PortPublished } from "./settings.js";
import { DEFAULT_NETWORK, SPECIAL_MODES } from "./modes.js";
import { checkAliases } from "./etc-files.js";
import { networkInspect, networkFilter, type NetworkInspect, type NetworkSummary } from "./view.js";
import { findPredefined, isPredefinedName, predefinedInspect, predefinedNetworks } from "./predefined.js";
import { defaultRoots, type EngineRoots } from "../paths.js";

export interface NetworkCreateOptions {
  name: string;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  internal?: boolean;
  labels?: Record<string, string>;
  /** Driver options; `com.docker.network.bridge.name` names the bridge. */
  options?: Record<string, string>;
}

const BRIDGE_NAME_OPT = "com.docker.network.bridge.name";

/**
 * The default network's size: a /22, as many addresses as a Linux bridge has ports (1,024),
 * so that a host's containers fill the bridge before its subnet. docker's /16 could never be
 * used up, and would take a whole /16 of the pool from every engine root of the host.
 */
const DEFAULT_PREFIX = 22;
/** A network made without --subnet: a /24 of the pool. */
const USER_PREFIX = 24;

/** What connect and disconnect need of the containers, given by the engine that wires both. */
export interface NetworkMembers {
  connect(n: NetworkRecord, container: string, req: { ip?: string; aliases?: string[] }): Promise<void>;
  disconnect(n: NetworkRecord, container: string): Promise<void>;
  ports(container: string | ContainerRecord): Record<string, PortPublished[] | null>;
  /** Releases what the engine keeps set up for runs to come (network prune). */
  drain(): Promise<void>;
}

export class NetworkService {
  private members?: NetworkMembers;

  constructor(
    private readonly store: () => NetworkStore,
    private readonly roots: EngineRoots,
    /** Which containers are on a network (for rm). */
    private readonly users: (networkId: string) => string[],
    /** A container's name by id. */
    private readonly names: (containerId: string) => string | undefined = () => undefined,
    private readonly event: NetworkEventSink = () => {},
  ) {}

  private get claim() {
    return { db: path.join(this.roots.root, "mydocker.db") };
  }

  bindMembers(m: NetworkMembers): void {
    this.members = m;
  }

  /** docker network connect: the container gets an address on the network (its interface at once if it runs). */
  async connect(network: string, container: string, req: { ip?: string; aliases?: string[] } = {}): Promise<void> {
    checkAliases(req.aliases);
    const n = network === DEFAULT_NETWORK ? this.ensureDefault() : this.get(network);
    await this.members!.connect(n, container, req);
  }

  /** docker port, ps's PORTS: container port ("80/tcp") → where it is published now; exposed-only ports map to null. */
  containerPorts(container: string | ContainerRecord): Record<string, PortPublished[] | null> {
    return this.members!.ports(container);
  }

  /** docker network disconnect. */
  async disconnect(network: string, container: string): Promise<void> {
    await this.members!.disconnect(this.get(network), container);
  }

  /** A network by full id, unique id prefix or name; the default bridge exists from the first look, as in docker. */
  get(query: string): NetworkRecord {
    if (query === DEFAULT_NETWORK) return this.ensureDefault();
    const s = this.store();
    const byName = s.byName(query);
    if (byName) return byName;
    const byId = s.get(query);
    if (byId) return byId;
    const prefixed = s.byIdPrefix(query);
    if (prefixed.length === 1) return prefixed[0]!;
    throw new MydockerError("ENONETWORK", `network ${query} not found`);
  }

  /** host and none, dated as the default bridge. */
  private predefined(): NetworkSummary[] {
    return predefinedNetworks(this.roots.root, this.ensureDefault().created);
  }

  /** docker network ls, with its --filter values: the store's bridges, and host and none. */
  list(filters: string[] = []): NetworkSummary[] {
    const builtin = this.predefined();
    const all: NetworkSummary[] = [...this.store().all(), ...builtin];
    return all.filter(networkFilter(filters, (id) => this.users(id).length > 0));
  }

  /** docker network inspect, in docker's shape. */
  inspect(query: string): NetworkInspect {
    const builtin = this.lookupPredefined(query);
    if (builtin) return predefinedInspect(builtin);
    const n = this.get(query);
    const members = this.store()
      .endpointsOn(n.id)
      .map((ep) => ({ ep, name: this.names(ep.containerId) ?? ep.containerId.slice(0, 12), mac: ep.mac }));
    return networkInspect(n, members);
  }

  /** The default bridge network, made the first time a container or a listing needs it. */
  ensureDefault(): NetworkRecord {
    const have = this.store().byName(DEFAULT_NETWORK);
    if (have) return have;
    // The default root's bridge has docker's kind of name; any other root's is its own.
    const isDefaultRoot = this.roots.root === defaultRoots({}).root;
    try {
      return this.make({ name: DEFAULT_NETWORK, options: isDefaultRoot ? { [BRIDGE_NAME_OPT]: "mydocker0" } : {} }, false, DEFAULT_PREFIX);
    } catch (e) {
      // Another command made it meanwhile.
      const made = this.store().byName(DEFAULT_NETWORK);
      if (made) return made;
      throw e;
    }
  }

  private taken(c: Cidr): boolean {
    return hostRoutes().some((r) => overlaps(r, c)) || this.store().all().some((n) => overlaps(parseCidr(n.subnet), c)) || claimedOverlaps(c).length > 0;
  }

  /** docker network create. */
  create(o: NetworkCreateOptions): NetworkRecord {
    return this.make(o, true, USER_PREFIX);
  }

  /** A network with or without names served (the default one has none), its subnet the first free block of the pool's size poolPrefix unless o names one. */
  private make(o: NetworkCreateOptions, dns: boolean, poolPrefix: number): NetworkRecord {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(o.name)) {
      throw new MydockerError("EINVAL", `invalid network name "${o.name}": use letters, digits, _ . and -, starting with a letter or digit`);
    }
    if (SPECIAL_MODES.has(o.name) || (o.name === DEFAULT_NETWORK && dns)) {
      throw new MydockerError("EINVAL", `${o.name} is a pre-defined network and cannot be created`);
    }
    if (this.store().byName(o.name)) throw new MydockerError("ENETEXISTS", `network with name ${o.name} already exists`);
    const id = generateId();
    const bridge = o.options?.[BRIDGE_NAME_OPT] ?? `mdk${id.slice(0, 12)}`;
    if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(bridge)) throw new MydockerError("EINVAL", `invalid bridge name "${bridge}": at most 15 letters, digits, _ . or -`);
    const claim = { ...this.claim, network: id };
    let subnet: Cidr | undefined;
    if (o.subnet) {
      subnet = parseCidr(o.subnet);
      if (subnet.prefix > 30) throw new MydockerError("EINVAL", `subnet ${o.subnet} is too small: give at most a /30`);
      if (this.taken(subnet) || !claimSubnet(subnet, claim)) {
        throw new MydockerError("EOVERLAP", `invalid pool request: Pool overlaps with other one on this address space (${o.subnet}): choose another --subnet`);
      }
    } else {
      for (const c of poolSubnets(poolPrefix)) {
        if (!this.taken(c) && claimSubnet(c, claim)) {
          subnet = c;
          break;
        }
      }
      if (!subnet) throw new MydockerError("ENOPOOL", "could not find an available, non-overlapping IPv4 address pool among the defaults: remove unused networks (network prune)");
    }
    try {
      const gateway = o.gateway ?? formatIp(firstHost(subnet));
      const gw = parseIp(gateway);
      if (gw === undefined || !contains(subnet, gw)) throw new MydockerError("EINVAL", `invalid gateway ${gateway}: it must be an address of the subnet ${formatCidr(subnet)}`);
      const range = o.ipRange ? parseCidr(o.ipRange, "ip-range") : subnet;
      if (range.prefix < subnet.prefix || !contains(subnet, range.base)) throw new MydockerError("EINVAL", `invalid ip-range ${o.ipRange}: it must lie within the subnet ${formatCidr(subnet)}`);
      const record: NetworkRecord = {
        id,
        name: o.name,
        driver: "bridge",
        bridge,
        subnet: formatCidr(subnet),
        gateway,
        ipRange: formatCidr(range),
        internal: o.internal ?? false,
        dns,
        labels: o.labels ?? {},
        options: o.options ?? {},
        created: new Date().toISOString(),
      };
      this.store().insert(record);
      describeClaim(subnet, { ...claim, runRoot: this.roots.runRoot, netavark: netavarkNetwork(record) });
      this.event("create", record);
      return record;
    } catch (e) {
      releaseSubnet(subnet, claim);
      throw e;
    }
  }

  /** host or none when the query names no network of the store. */
  private lookupPredefined(query: string): NetworkSummary | undefined {
    if (isPredefinedName(query)) return findPredefined(this.predefined(), query);
    try {
      this.get(query);
      return undefined;
    } catch (e) {
      if (e instanceof MydockerError && e.code === "ENONETWORK") return findPredefined(this.predefined(), query);
      throw e;
    }
  }

  /** docker network rm: refused while a container is connected, and for the networks docker has from its start. */
  remove(query: string): string {
    const builtin = this.lookupPredefined(query);
    if (builtin) throw new MydockerError("EINVAL", `${builtin.name} is a pre-defined network and cannot be removed`);
    const n = this.get(query);
    if (n.name === DEFAULT_NETWORK) throw new MydockerError("EINVAL", `${n.name} is a pre-defined network and cannot be removed`);
    const users = this.users(n.id);
    if (users.length > 0) {
      throw new MydockerError("EINUSE", `error while removing network: network ${n.name} id ${n.id} has active endpoints (${users.map((u) => u.slice(0, 12)).join(", ")}): remove or disconnect them first`);
    }
    this.store().delete(n.id);
    releaseSubnet(parseCidr(n.subnet), { ...this.claim, network: n.id });
    this.event("destroy", n);
    return n.name;
  }

  /**
   * docker network prune: every user network no container is on; and what the engine keeps
   * ready on the default bridge (its pool) released, with the teardowns in progress waited for.
   */
  async prune(only?: (n: NetworkRecord) => boolean): Promise<string[]> {
    const out: string[] = [];
    for (const n of this.store().all()) {
      if (n.name === DEFAULT_NETWORK || this.users(n.id).length > 0) continue;
      if (only && !only(n)) continue;
      out.push(this.remove(n.id));
    }
    await this.members!.drain();
    return out;
  }
}
