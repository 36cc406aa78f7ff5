// Namespaces set up on the default bridge ahead of time, handed to the next plain run so that
// no netavark runs in its path. netavark applies them as any run's (an address of the
// network's own, a veth on its bridge, masquerade); only their address is chosen here: one
// of the top POOL_IPS of the network's range, which no ordinary allocation uses.
//
// `.net-pool/` under the run root: `A-B-C-D/` a ready entry (its address in the name),
// `A-B-C-D.new/` one being made (its maker's `owner` inside). The directory itself says the
// pool is in use: a run that could use it makes it, `drain` (network prune) renames it away,
// and a refill that finds it gone makes nothing, so a drained root gets no new entries from a
// straggling exit command.
import fs from "node:fs";
import path from "node:path";
import { isErrno } from "../../util/errors.js";
import { formatIp, macForIp, parseCidr, parseIp } from "../../network/ipam.js";
import { createNetns, type NetnsPinner } from "../../network/netns.js";
import { netavarkName, netavarkNetwork, netavarkSetup, type NetavarkBinaries } from "../../network/netavark.js";
import type { NetworkRecord, NetworkStore } from "../../network/store.js";
import type { NetavarkConfig } from "../../network/types.js";
import { isSameProcess, processStartTime } from "../../runtime/index.js";
import { PORTS_FILE, readRun, runTag, saveRun, type ClaimedRun } from "./runs.js";
import { specLeavesNetnsClean } from "./reuse.js";
import type { Spec } from "../../spec/runtime.js";

/** Entries kept ready. */
export const POOL_SIZE = 2;
/** Addresses at the top of the default network's range set aside for entries. */
const POOL_IPS = 16;
/** How long a drain waits for entries being made to be done. */
const DRAIN_WAIT_MS = 30_000;
const READY = /^\d+-\d+-\d+-\d+$/;
/** In a run's directory: the run may serve another container after it (reuse.ts). */
export const REUSABLE = "reusable";
/** The name in netavark of an entry's run (kept by the runs that take it). */
const POOL_NAME_PREFIX = "mydocker-pool-";

const nameOf = (ip: string) => ip.replaceAll(".", "-");
const ipOf = (name: string) => name.replace(/\.new$/, "").replaceAll("-", ".");

export class NetworkPool {
  readonly dir: string;

  constructor(
    runRoot: string,
    private readonly bin: NetavarkBinaries,
    private readonly store: () => NetworkStore,
    private readonly release: (run: ClaimedRun) => Promise<void>,
    private readonly debug: (msg: string) => void,
    private readonly pin?: NetnsPinner,
  ) {
    this.dir = path.join(runRoot, ".net-pool");
  }

  /** The addresses entries use (the top of the range, below its broadcast, not the gateway). */
  reserved(n: NetworkRecord): Set<number> {
    const range = parseCidr(n.ipRange);
    const subnet = parseCidr(n.subnet);
    const size = 2 ** (32 - range.prefix);
    if (size < 4 * POOL_IPS) return new Set();
    const last = Math.min(range.base + size - 1, subnet.base + 2 ** (32 - subnet.prefix) - 2);
    const gateway = parseIp(n.gateway);
    const out = new Set<number>();
    for (let ip = last; out.size < POOL_IPS; ip--) if (ip !== gateway) out.add(ip);
    return out;
  }

  /**
   * Moves a ready entry to `into` as container id's run on n, and gives the container its
   * address; false when none is ready (the pool is then made, for its exit command to fill).
   */
  take(n: NetworkRecord, id: string, into: string): boolean {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      return false;
    }
    const before = this.store().endpointsOf(id).find((e) => e.networkId === n.id)?.ip;
    if (before === undefined) return false;
    const reserved = this.reserved(n);
    for (const name of names.filter((x) => READY.test(x))) {
      // Only an entry made for this network as it is now (the pool's directory may outlive
      // a store made again, or a network's address range).
      const made = readRun(path.join(this.dir, name))?.config.network_info[netavarkName(n)];
      if (made?.id !== n.id || !reserved.has(parseIp(ipOf(name)) ?? -1)) continue;
      // The store first: of two takers of one entry, its UNIQUE address lets one through.
      if (!this.store().setEndpointIp(n.id, id, ipOf(name))) continue;
      try {
        fs.renameSync(path.join(this.dir, name), into);
        return true;
      } catch {
        this.store().setEndpointIp(n.id, id, before);
      }
    }
    return false;
  }

  /**
   * After a run that took an entry: the entry made ready again for the next run, as it is, when
   * the run left it as made (REUSABLE), its address is given back (held by no container, or by
   * this one, which --rm removes), and the pool is in use; false when it is to be released.
   */
  giveBack(run: ClaimedRun, n: NetworkRecord | undefined, holder: (ip: string) => string | undefined): boolean {
    if (!n || !fs.existsSync(path.join(run.dir, REUSABLE))) return false;
    const config = readRun(run.dir)?.config;
    const mine = config?.networks[netavarkName(n)];
    if (!config || !mine || Object.keys(config.networks).length !== 1 || config.network_info[netavarkName(n)]?.id !== n.id) return false;
    const ip = mine.static_ips[0] ?? "";
    if (!this.reserved(n).has(parseIp(ip) ?? -1) || mine.static_mac !== macForIp(ip)) return false;
    const who = holder(ip);
    if ((who !== undefined && who !== run.id) || fs.existsSync(path.join(this.dir, `${nameOf(ip)}.new`))) return false;
    const entry = path.join(this.dir, nameOf(ip));
    try {
      fs.rmSync(path.join(run.dir, REUSABLE));
      // The ports were the run's (its monitor's), not the namespace's.
      fs.rmSync(path.join(run.dir, PORTS_FILE), { force: true });
      // Fails when the pool is not in use (drained) or has an entry of that address; the empty
      // directory is then replaced by the entry at once.
      fs.mkdirSync(entry, { mode: 0o700 });
    } catch {
      return false;
    }
    try {
      fs.renameSync(run.dir, entry);
      return true;
    } catch {
      // Only while still empty: a drain may have taken it with the pool meanwhile.
      try {
        fs.rmdirSync(entry);
      } catch {
        // Gone with the pool, or no longer empty: not this run's to remove.
      }
      return false;
    }
  }

  /** Marks a run on an entry as one that may give it back after it (reuse.ts). */
  permitReuse(runDir: string, spec: Spec): boolean {
    if (!readRun(runDir)?.config.container_name.startsWith(POOL_NAME_PREFIX) || !specLeavesNetnsClean(spec)) return false;
    fs.writeFileSync(path.join(runDir, REUSABLE), "");
    return true;
  }

  /** Makes entries up to POOL_SIZE, if the pool is in use (those no run can take released first). */
  async refill(n: NetworkRecord): Promise<void> {
    // Entries no run can take (made for the network as it was) would keep new ones from being made.
    await this.sweep(n);
    for (let made = 0; made < POOL_SIZE; made++) {
      let names: string[];
      try {
        names = fs.readdirSync(this.dir);
      } catch {
        return;
      }
      if (names.filter((x) => READY.test(x) || x.endsWith(".new")).length >= POOL_SIZE) return;
      const entry = this.claimAddress(n, names);
      if (!entry) return;
      await this.make(n, entry);
    }
  }

  /** A free reserved address, claimed by making its `.new` directory. */
  private claimAddress(n: NetworkRecord, names: string[]): string | undefined {
    const used = new Set(this.store().usedIps(n.id));
    for (const ip of [...this.reserved(n)].map(formatIp)) {
      if (used.has(ip) || names.includes(nameOf(ip))) continue;
      const entry = path.join(this.dir, `${nameOf(ip)}.new`);
      try {
        fs.mkdirSync(entry, { mode: 0o700 });
      } catch (e) {
        if (isErrno(e, "EEXIST")) continue;
        return undefined;
      }
      fs.writeFileSync(path.join(entry, "owner"), `${process.pid} ${processStartTime(process.pid) ?? ""}`);
      return entry;
    }
    return undefined;
  }

  private async make(n: NetworkRecord, entry: string): Promise<void> {
    const ip = ipOf(path.basename(entry));
    const config: NetavarkConfig = {
      container_id: runTag(),
      container_name: `${POOL_NAME_PREFIX}${nameOf(ip)}`,
      networks: { [netavarkName(n)]: { interface_name: "eth0", static_ips: [ip], aliases: [], static_mac: macForIp(ip) } },
      network_info: { [netavarkName(n)]: netavarkNetwork(n) },
    };
    try {
      fs.writeFileSync(path.join(entry, "netavark.json"), JSON.stringify(config));
      await createNetns(path.join(entry, "ns"), this.pin);
      const result = await netavarkSetup(this.bin, path.join(entry, "ns"), config);
      saveRun(entry, config, result);
      fs.rmSync(path.join(entry, "owner"));
      fs.renameSync(entry, path.join(this.dir, nameOf(ip)));
    } catch (e) {
      // A drain took the pool away meanwhile: it releases this entry once this process is done.
      if (fs.existsSync(entry)) await this.release({ dir: entry, id: path.basename(entry) });
      this.debug(`network pool: ${(e as Error).message}`);
    }
  }

  /** Takes the pool out of use and releases every entry, waiting for those being made. */
  async drain(goneDir: string): Promise<void> {
    fs.mkdirSync(goneDir, { recursive: true, mode: 0o700 });
    const away = path.join(goneDir, `pool.${process.pid}.${processStartTime(process.pid) ?? "0"}.${Date.now()}`);
    try {
      fs.renameSync(this.dir, away);
    } catch (e) {
      if (isErrno(e, "ENOENT")) return;
      throw e;
    }
    await this.releaseAll(away);
  }

  /** Releases every entry of a pool taken away (its makers done, or given up on after a while). */
  async releaseAll(away: string): Promise<void> {
    const deadline = Date.now() + DRAIN_WAIT_MS;
    for (const name of fs.readdirSync(away)) {
      const dir = path.join(away, name);
      while (makerAlive(dir) && !fs.existsSync(path.join(dir, "result.json")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await this.release({ dir, id: name });
    }
    fs.rmSync(away, { recursive: true, force: true });
  }

  /** Entries whose maker was killed half way, and ready ones not of n as it is now: released. */
  async sweep(n: NetworkRecord | undefined): Promise<void> {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    const reserved = n ? this.reserved(n) : new Set<number>();
    for (const name of names.filter((x) => READY.test(x))) {
      const dir = path.join(this.dir, name);
      if (n && readRun(dir)?.config.network_info[netavarkName(n)]?.id === n.id && reserved.has(parseIp(ipOf(name)) ?? -1)) continue;
      await this.release({ dir, id: name }).catch((e: Error) => this.debug(`network pool: ${e.message}`));
    }
    for (const name of names.filter((x) => x.endsWith(".new"))) {
      const dir = path.join(this.dir, name);
      const age = Date.now() - (fs.statSync(dir, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (makerAlive(dir) || (!fs.existsSync(path.join(dir, "owner")) && age < 60_000)) continue;
      await this.release({ dir, id: name }).catch((e: Error) => this.debug(`network pool: ${e.message}`));
    }
  }
}

/** Whether the process making an entry is still at it. */
function makerAlive(dir: string): boolean {
  try {
    const [pid, start] = fs.readFileSync(path.join(dir, "owner"), "utf8").split(" ");
    return isSameProcess(Number(pid), start ?? "");
  } catch {
    return false;
  }
}
