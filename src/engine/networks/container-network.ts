// A container's part in its networks: its addresses, allocated when it is created and kept
// for its life (a restart keeps them); the network namespace set up by netavark before each
// run (or taken ready from the pool) and taken down after it, whoever sees it end; the ports
// its monitor publishes; and what that run got (inspect, port, ps).
import fs from "node:fs";
import path from "node:path";
import { MydockerError } from "../../util/errors.js";
import { netavarkName, netavarkNetwork, netavarkTeardown, defaultBinaries, type NetavarkBinaries } from "../../network/netavark.js";
import { setupAnswering } from "../../network/aardvark.js";
import { createNetns, removeNetns, type NetnsPinner } from "../../network/netns.js";
import { resolvePorts, type PortBindings } from "../../network/ports.js";
import { explainClash, forwards } from "./port-forwards.js";
import type { PortForward } from "../../runtime/index.js";
import type { Endpoint, NetworkRecord, NetworkStore } from "../../network/store.js";
import type { NetavarkConfig } from "../../network/types.js";
import os from "node:os";
import type { ContainerRecord } from "../container-store.js";
import { ETC_FILES, writeEtcFiles } from "./etc-files.js";
import { NetworkRuns, readRun, runTag, saveRun, savePorts, type ClaimedRun } from "./runs.js";
import { NetworkPool, REUSABLE } from "./pool.js";
import { releaseDeadRoots } from "./dead-roots.js";
import type { Spec } from "../../spec/runtime.js";
import type { CreateOptions } from "../run-options.js";
import type { EngineRoots } from "../paths.js";
import type { NetworkService } from "./service.js";
import type { NetworkEventSink } from "../events/types.js";
import { DEFAULT_NETWORK, modeOf, SPECIAL_MODES } from "./modes.js";
import { joinNetwork, type JoinRequest } from "./join.js";
import { endpointConfig, runConfig } from "./run-config.js";
import { networkSettings, publishedPorts, type NetworkRun, type NetworkSettings, type PortPublished } from "./settings.js";
import { makeSpreadDir } from "../../util/spread-dirs.js";

export interface NetworkSetup {
  nsPath?: string;
  etc: { destination: string; source: string }[];
  /** The run's name in netavark (its own network only). */
  tag?: string;
  /** Settles once netavark has set the namespace up (its own network only). */
  ready?: Promise<void>;
  /** The ports the container's monitor publishes, forwarded to its address on its first network. */
  publish?: PortForward[];
}

export class ContainerNetwork {
  private readonly bin: NetavarkBinaries;
  readonly runs: NetworkRuns;
  private readonly pool: NetworkPool;

  constructor(
    private readonly store: () => NetworkStore,
    private readonly service: NetworkService,
    private readonly roots: EngineRoots,
    private readonly debug: (msg: string) => void = () => {},
    private readonly event: NetworkEventSink = () => {},
    private readonly pin?: NetnsPinner,
  ) {
    this.bin = defaultBinaries(path.join(roots.runRoot, ".netavark"));
    this.runs = new NetworkRuns(roots.runRoot);
    this.pool = new NetworkPool(roots.runRoot, this.bin, store, (r) => this.release(r), debug, pin);
  }

  /**
   * Where a container's /etc files are made: not under its own directory, which its overlay
   * covers in its mount namespace.
   */
  private etcDir(id: string): string {
    return path.join(this.roots.runRoot, ".etc", id);
  }

  /** When the container is removed: its /etc files go (its addresses go with its record). */
  forget(id: string): void {
    fs.rmSync(this.etcDir(id), { recursive: true, force: true });
  }

  /** The /etc files a container's runs are given, those that exist (for a stopped container's cp). */
  etcMounts(id: string): { destination: string; source: string }[] {
    return ETC_FILES.map((f) => ({ destination: `/etc/${f}`, source: path.join(this.etcDir(id), f) })).filter((m) => fs.existsSync(m.source));
  }

  nsPath(id: string): string {
    return path.join(this.runs.dir(id), "ns");
  }

  /** Resolves a --network value to a network record (the default one made on first use). */
  network(name: string): NetworkRecord {
    if (name === DEFAULT_NETWORK) return this.service.ensureDefault();
    if (SPECIAL_MODES.has(name)) throw new MydockerError("EINVAL", `${name} cannot be combined with other networks`);
    return this.service.get(name);
  }

  /**
   * At create: the container's first network, from its NetworkMode (the default bridge
   * network made on first use), with the address, MAC and aliases asked for. Returns docker's
   * warnings of the create (ports published on the host's network are ignored).
   */
  attach(c: ContainerRecord, opts: CreateOptions): string[] {
    const mode = modeOf(c.hostConfig.NetworkMode);
    if (mode.kind !== "network") {
      const has = (v: unknown) => v !== undefined && (!Array.isArray(v) || v.length > 0);
      const publishes = Object.keys(c.hostConfig.PortBindings ?? {}).length > 0 || opts.publishAll === true;
      if (publishes && mode.kind === "container") throw new MydockerError("EINVAL", `conflicting options: port publishing and the container type network mode (${c.hostConfig.NetworkMode})`);
      if (has(opts.ip) || has(opts.macAddress) || has(opts.networkAliases) || (Array.isArray(opts.network) && opts.network.length > 1)) {
        throw new MydockerError("EINVAL", `conflicting options: --ip, --mac-address and --network-alias need a network, not --network ${c.hostConfig.NetworkMode}`);
      }
      // docker: ignored with no network too, without a word.
      return publishes && mode.kind === "host" ? ["Published ports are discarded when using host network mode"] : [];
    }
    this.join(c, this.network(mode.name), { ip: opts.ip, mac: opts.macAddress, aliases: opts.networkAliases });
    // docker 25+: more --network flags connect the container to those networks too.
    const more = Array.isArray(opts.network) ? opts.network.slice(1) : [];
    for (const name of more) this.join(c, this.network(name), { aliases: opts.networkAliases });
    return [];
  }

  /** Gives the container an address on n (--ip, or the next free one); the pool's addresses are its own (pool.ts). */
  join(c: ContainerRecord, n: NetworkRecord, req: JoinRequest = {}): Endpoint {
    return joinNetwork(this.store(), c, n, req, n.name === DEFAULT_NETWORK ? this.pool.reserved(n) : new Set<number>());
  }

  /**
   * A start that failed: one whose monitor found a published port taken says so in docker's
   * words, naming the container of this engine that publishes it, if one does.
   */
  explainFailure(id: string, e: unknown): unknown {
    return explainClash(e, id, this.runs.ids(), (other) => this.runOf(other)?.ports ?? []);
  }

  /**
   * Before a run: the container's network namespace (nsPath goes in the spec; without it the
   * runtime makes a fresh one, or the host's is kept) and its /etc files. With its own
   * network, netavark sets the namespace up meanwhile: `ready` settles when it is done (the
   * process must not run before), and `tag` names the run (see teardown).
   */
  async setup(c: ContainerRecord, peer: (ref: string) => ContainerRecord): Promise<NetworkSetup> {
    const mode = modeOf(c.hostConfig.NetworkMode);
    if (mode.kind === "container") {
      // As docker: the namespace's owner's files too.
      const other = peer(mode.ref);
      this.forgoReuse(other.id);
      return { nsPath: `/proc/${other.state.pid}/ns/net`, etc: this.etcMounts(other.id) };
    }
    if (mode.kind === "none" || mode.kind === "host") {
      const needsGateway = (c.hostConfig.ExtraHosts ?? []).some((h) => h.endsWith("host-gateway"));
      // host-gateway on the host's network: the host's address on the default bridge, as docker's.
      const gateway = mode.kind === "host" && needsGateway ? this.service.ensureDefault().gateway : "127.0.0.1";
      return { etc: this.etcFiles(c, [], gateway, []) };
    }
    const { tag, ready, publish } = await this.setupNetwork(c);
    const eps = this.store().endpointsOf(c.id);
    const nets = eps.map((ep) => this.store().get(ep.networkId)).filter((n): n is NetworkRecord => n !== undefined);
    const servers = nets.filter((n) => n.dns).map((n) => n.gateway);
    return { nsPath: this.nsPath(c.id), etc: this.etcFiles(c, eps.map((ep) => ep.ip), nets[0]?.gateway ?? "127.0.0.1", servers), tag, ready, publish };
  }

  private etcFiles(c: ContainerRecord, ips: string[], gateway: string, nameServers: string[]) {
    const hc = c.hostConfig;
    makeSpreadDir(path.dirname(this.etcDir(c.id)), 0o755);
    fs.mkdirSync(this.etcDir(c.id), { recursive: true, mode: 0o755 });
    return writeEtcFiles(this.etcDir(c.id), {
      hostname: hc.UTSMode === "host" ? os.hostname() : c.config.Hostname || c.id.slice(0, 12),
      domainname: c.config.Domainname,
      ips,
      extraHosts: hc.ExtraHosts ?? [],
      gateway,
      dns: { servers: hc.Dns, search: hc.DnsSearch, options: hc.DnsOptions },
      hostNetwork: modeOf(hc.NetworkMode).kind === "host",
      nameServers,
    });
  }

  private async setupNetwork(c: ContainerRecord): Promise<{ tag: string; ready?: Promise<void>; publish: PortForward[] }> {
    await this.teardown(c.id);
    const exposed = Object.keys(c.config.ExposedPorts ?? {});
    const ports = this.forwardTarget(c.id) ? await resolvePorts(c.hostConfig.PortBindings ?? {}, exposed, c.hostConfig.PublishAllPorts ?? false) : [];
    const dir = this.runs.dir(c.id);
    const pooled = this.fromPool(c);
    if (pooled) {
      savePorts(dir, ports);
      // The address is the pooled namespace's now.
      return { tag: pooled, publish: forwards(this.forwardTarget(c.id), ports) };
    }
    const tag = runTag();
    const config = runConfig(c, this.store().endpointsOf(c.id).map((ep) => ({ ep, n: this.store().get(ep.networkId) })), tag);
    makeSpreadDir(this.runs.current, 0o700);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Written first: a command killed from here on leaves what recovery needs to take it down.
    const configFile = path.join(dir, "netavark.json");
    fs.writeFileSync(configFile, JSON.stringify(config));
    savePorts(dir, ports);
    try {
      await createNetns(this.nsPath(c.id), this.pin);
    } catch (e) {
      await this.teardown(c.id);
      throw e;
    }
    const ready = setupAnswering(this.bin, this.nsPath(c.id), config, this.debug, configFile).then((result) => {
      fs.writeFileSync(path.join(dir, "result.json"), JSON.stringify(result));
      for (const n of Object.values(config.network_info)) this.event("connect", n, c.id);
    });
    // Whoever waits for it hears of a failure; a run given up before it waited releases the
    // namespace all the same (teardown, after this setup, under netavark's lock).
    ready.catch(() => {});
    return { tag, ready, publish: forwards(this.forwardTarget(c.id), ports) };
  }

  /**
   * Where published ports lead: the container's address on its first network that reaches
   * the outside. As docker, an --internal network publishes nothing: a container on such
   * networks alone publishes no port at all.
   */
  private forwardTarget(id: string): Endpoint | undefined {
    return this.store()
      .endpointsOf(id)
      .find((ep) => this.store().get(ep.networkId)?.internal === false);
  }

  /**
   * A first run on the default bridge alone, without a MAC of its own, gets a namespace the
   * pool made ready (and the address it has): its tag, else undefined. Its published ports are
   * its monitor's, not the namespace's.
   */
  private fromPool(c: ContainerRecord): string | undefined {
    const eps = this.store().endpointsOf(c.id);
    if (eps.length !== 1 || eps[0]!.mac || c.state.status !== "created") return undefined;
    const n = this.store().get(eps[0]!.networkId);
    if (n?.name !== DEFAULT_NETWORK || !this.pool.take(n, c.id, this.runs.dir(c.id))) return undefined;
    this.event("connect", n, c.id);
    return this.runOf(c.id)?.config.container_id;
  }

  /**
   * A program that stays (the library, serve): a foreground run's network released by this
   * process after the run, in the background; the pool filled again after it. A process that
   * ends first leaves it to the next command's sweep.
   */
  releaseLater(id: string, tag: string): void {
    this.teardown(id, tag)
      .then(() => this.refillPool())
      .catch((e: Error) => this.debug(`releasing the network of ${id}: ${e.message}`));
  }

  /** After runs end: the pool made full again (if a run has used it). */
  async refillPool(): Promise<void> {
    const n = this.store().byName(DEFAULT_NETWORK);
    if (n) await this.pool.refill(n);
  }

  /** network prune: the pool released (unused until a run wants it), others' teardowns waited for, deleted roots' leftovers released. */
  async drain(): Promise<void> {
    await this.pool.drain(this.runs.gone);
    await this.runs.settled();
    await releaseDeadRoots(this.debug);
  }

  /**
   * After a run (or a failed start): the namespace, its interfaces, rules and names, gone.
   * Idempotent; with tag, only the run of that tag (the monitor's exit command, which may
   * come after the container was started again).
   */
  async teardown(id: string, tag?: string): Promise<void> {
    const run = this.runs.claim(id, tag);
    if (!run) return;
    const n = this.store().byName(DEFAULT_NETWORK);
    const holder = (ip: string) => (n ? this.store().holderOf(n.id, ip) : undefined);
    if (n && this.pool.giveBack(run, n, holder)) this.event("disconnect", n, id);
    else await this.release(run);
  }

  /**
   * Once the run's spec is known: a run on a pooled namespace gives it back to the pool after
   * it when the container is removed after it (--rm), shares no /dev/shm, and cannot have
   * changed it (reuse.ts).
   */
  permitReuse(c: ContainerRecord, spec: Spec): boolean {
    const ownShm = ["private", "none"].includes(c.hostConfig.IpcMode ?? "private");
    return c.hostConfig.AutoRemove === true && ownShm && this.pool.permitReuse(this.runs.dir(c.id), spec);
  }

  /** A process that may change the namespace or outlive the container is in it: never reused. */
  forgoReuse(id: string): void {
    fs.rmSync(path.join(this.runs.dir(id), REUSABLE), { force: true });
  }

  /** teardown, and another process's (the exit command's) waited for, as docker's rm. */
  async teardownAll(id: string): Promise<void> {
    await this.teardown(id);
    await this.runs.settled(id);
  }

  /** Releases a run taken for teardown. */
  async release(claimed: ClaimedRun): Promise<void> {
    const run = readRun(claimed.dir);
    const ns = path.join(claimed.dir, "ns");
    if (run && fs.existsSync(ns)) {
      try {
        await netavarkTeardown(this.bin, ns, run.config);
      } catch (e) {
        // What netavark could not find is gone already (an interface goes with its namespace):
        // the namespace is still released, so a half torn down run cannot block the next.
        this.debug((e as Error).message);
      }
      for (const n of Object.values(run.config.network_info)) this.event("disconnect", n, claimed.id);
    }
    await removeNetns(ns);
    fs.rmSync(claimed.dir, { recursive: true, force: true });
  }

  /**
   * Runs nobody will release otherwise (and what deleted roots left): teardowns whose process died, and runs of containers
   * that are not running, whose record is gone or whose release a kill cut short (idle for
   * a minute: a start in flight has its runtime state long before).
   */
  async sweep(known: (id: string) => "gone" | "active" | "idle"): Promise<void> {
    await releaseDeadRoots(this.debug);
    await this.pool.sweep(this.store().byName(DEFAULT_NETWORK));
    for (const run of this.runs.orphans()) {
      const release = run.id === "pool" ? this.pool.releaseAll(run.dir) : this.release(run);
      await release.catch((e: Error) => this.debug(`sweep ${run.id}: ${e.message}`));
    }
    for (const id of this.runs.ids()) {
      const k = known(id);
      if (k === "gone" || (k === "idle" && this.runs.ageSeconds(id) > 60)) await this.teardown(id).catch((e: Error) => this.debug(`sweep ${id}: ${e.message}`));
    }
  }

  /** What the container's current run was given, if it is set up. */
  runOf(id: string): NetworkRun | undefined {
    return readRun(this.runs.dir(id));
  }

  /** docker network connect: an address on n, and, while the container runs, its interface at once. */
  async connect(c: ContainerRecord, n: NetworkRecord, req: JoinRequest): Promise<void> {
    const mode = modeOf(c.hostConfig.NetworkMode);
    if (mode.kind !== "network") throw new MydockerError("EINVAL", `container ${c.name} uses --network ${c.hostConfig.NetworkMode}: it cannot be connected to other networks`);
    const ep = this.join(c, n, req);
    const run = this.runOf(c.id);
    if (!run) return;
    const iface = `eth${Object.keys(run.config.networks).length}`;
    const one: NetavarkConfig = {
      ...run.config,
      networks: { [netavarkName(n)]: endpointConfig(c, n, ep, iface) },
      network_info: { [netavarkName(n)]: netavarkNetwork(n) },
    };
    try {
      const result = await setupAnswering(this.bin, this.nsPath(c.id), one, this.debug);
      saveRun(this.runs.dir(c.id), { ...run.config, networks: { ...run.config.networks, ...one.networks }, network_info: { ...run.config.network_info, ...one.network_info } }, { ...run.result, ...result });
      this.event("connect", n, c.id);
    } catch (e) {
      this.store().removeEndpoint(n.id, c.id);
      throw e;
    }
  }

  /** docker network disconnect: the address given back, and the interface gone from a running container. */
  async disconnect(c: ContainerRecord, n: NetworkRecord): Promise<void> {
    if (!this.store().endpointsOf(c.id).some((ep) => ep.networkId === n.id)) {
      throw new MydockerError("ENOTCONNECTED", `container ${c.name} is not connected to network ${n.name}`);
    }
    const run = this.runOf(c.id);
    // The monitor forwards the ports to the address on that network until the container
    // stops: given back, the address could be another container's, which would get them.
    if (run?.ports.length && this.forwardTarget(c.id)?.networkId === n.id) {
      throw new MydockerError("ERUNNING", `container ${c.name} publishes ports through network ${n.name}: stop the container before disconnecting it from ${n.name}`);
    }
    const mine = run?.config.networks[netavarkName(n)];
    if (run && mine) {
      const one: NetavarkConfig = { ...run.config, networks: { [netavarkName(n)]: mine }, network_info: { [netavarkName(n)]: run.config.network_info[netavarkName(n)]! } };
      await netavarkTeardown(this.bin, this.nsPath(c.id), one);
      const networks = { ...run.config.networks };
      const info = { ...run.config.network_info };
      const result = { ...run.result };
      delete networks[netavarkName(n)];
      delete info[netavarkName(n)];
      delete result[netavarkName(n)];
      saveRun(this.runs.dir(c.id), { ...run.config, networks, network_info: info }, result);
      this.event("disconnect", n, c.id);
    }
    this.store().removeEndpoint(n.id, c.id);
  }

  /** docker inspect's NetworkSettings. */
  settings(c: ContainerRecord): NetworkSettings {
    const eps = this.store()
      .endpointsOf(c.id)
      .map((ep) => ({ ep, n: this.store().get(ep.networkId)! }))
      .filter((e) => e.n);
    return networkSettings(c, eps, this.runOf(c.id), this.nsPath(c.id));
  }

  /** Where the running container's ports are published (docker port, ps). */
  ports(c: ContainerRecord): Record<string, PortPublished[] | null> {
    // Only a container that publishes has mappings in its run: ps asks this of every container.
    const publishes = Object.keys(c.hostConfig.PortBindings ?? {}).length > 0 || c.hostConfig.PublishAllPorts === true;
    return publishedPorts(c, publishes ? this.runOf(c.id) : undefined);
  }
}


export type { PortBindings };
