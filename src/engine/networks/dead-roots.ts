// What an engine root deleted without `network prune` left on the host: its pool's namespaces
// (and those of runs nobody released), pinned under its run root, where even rm -rf cannot
// remove them; their veths; and so its bridge and that network's firewall rules, which go
// only with the bridge's last interface. Its subnet claim says where they are (its store is
// gone: network/claims.ts); the next sweep of any root releases them.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { takeDeadClaims, type Claim } from "../../network/claims.js";
import { formatIp, parseCidr, parseIp } from "../../network/ipam.js";
import { defaultBinaries, netavarkSetup, netavarkTeardown, type NetavarkBinaries } from "../../network/netavark.js";
import { createNetns, netnsInUse, removeNetns } from "../../network/netns.js";
import type { NetavarkConfig, NetavarkNetwork } from "../../network/types.js";
import { readRun, runTag } from "./runs.js";

const ADDRESS_DIR = /^(\d+)-(\d+)-(\d+)-(\d+)(\.new)?$/;

/** The pinned namespaces under a run root, each with the directory that holds it. */
function leftNamespaces(runRoot: string): string[] {
  const dirsIn = (dir: string) => {
    try {
      return fs.readdirSync(dir).map((n) => path.join(dir, n));
    } catch {
      return [];
    }
  };
  const gone = dirsIn(path.join(runRoot, ".net-gone"));
  const runs = [...dirsIn(path.join(runRoot, ".net-pool")), ...dirsIn(path.join(runRoot, ".net")), ...gone, ...gone.flatMap(dirsIn)];
  const pins = namespaceMounts();
  return runs.map((d) => path.join(d, "ns")).filter((ns) => pins.has(ns) && rootsOnly(runRoot, ns));
}

/** The mount points of network namespaces (nsfs, net:[…]) in this mount namespace. */
function namespaceMounts(): Set<string> {
  const out = new Set<string>();
  for (const line of fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const [left, right] = line.split(" - ");
    const f = left?.split(" ") ?? [];
    if (right?.startsWith("nsfs ") && f[3]?.startsWith("net:[")) out.add(f[4]!.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}

/**
 * Whether every directory from the run root down to the namespace file is a directory only
 * root can write, and the file no symlink: a deleted root's path may be made again by anyone
 * (under /tmp), and what is found there must not lead the sweep to another namespace.
 */
function rootsOnly(runRoot: string, ns: string): boolean {
  const rel = path.relative(runRoot, path.dirname(ns)).split(path.sep);
  const dirs = rel.map((_, i) => path.join(runRoot, ...rel.slice(0, i + 1)));
  const safe = (p: string) => {
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    return st !== undefined && st.isDirectory() && st.uid === 0 && (st.mode & 0o022) === 0;
  };
  return [runRoot, ...dirs].every(safe) && fs.lstatSync(ns, { throwIfNoEntry: false })?.isSymbolicLink() === false;
}

/** What netavark is told to take a left namespace down: its run's own description if it is still there. */
function teardownConfig(net: NetavarkNetwork, nsFile: string): NetavarkConfig {
  const kept = readRun(path.dirname(nsFile))?.config;
  if (kept?.network_info[net.name]?.id === net.id) return kept;
  // A pool entry's address is its name; any other's matters not (netavark has no ports of ours).
  const m = ADDRESS_DIR.exec(path.basename(path.dirname(nsFile)));
  const ip = m ? m.slice(1, 5).join(".") : formatIp(parseCidr(net.subnets[0]!.subnet).base + 2);
  return {
    container_id: runTag(),
    container_name: "mydocker-sweep",
    networks: { [net.name]: { interface_name: "eth0", static_ips: [ip], aliases: [] } },
    network_info: { [net.name]: net },
  };
}

/** Whether iface routes the network's subnet (a bridge of that name may be another root's now). */
function bridgeOf(net: NetavarkNetwork): boolean {
  const subnet = parseCidr(net.subnets[0]!.subnet);
  let text: string;
  try {
    text = fs.readFileSync("/proc/net/route", "utf8");
  } catch {
    return false;
  }
  return text
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .some((f) => f[0] === net.network_interface && f.length >= 8 && Buffer.from(f[1]!, "hex").readUInt32LE(0) === subnet.base);
}

/** Releases what a dead root left of one network; true when some of it is still in use (a later sweep tries again). */
async function releaseRoot(claim: Claim, bin: NetavarkBinaries, debug: (msg: string) => void): Promise<boolean> {
  const net = claim.netavark;
  if (!net || !claim.runRoot) return false;
  for (const ns of leftNamespaces(claim.runRoot)) {
    const config = teardownConfig(net, ns);
    // A pool entry never has a process in it; a run's may (a container still running).
    if (!config.network_info[net.name] || (!ADDRESS_DIR.test(path.basename(path.dirname(ns))) && netnsInUse(ns))) continue;
    await netavarkTeardown(bin, ns, config).catch((e: Error) => debug(`dead root ${claim.runRoot}: ${e.message}`));
    await removeNetns(ns);
    fs.rmSync(path.dirname(ns), { recursive: true, force: true });
  }
  // What rm -rf could not remove for the mounts in it: the run root's directories, once empty.
  for (const dir of [".net-pool", ".net", ".net-gone", ""].map((d) => path.join(claim.runRoot!, d))) {
    try {
      fs.rmdirSync(dir);
    } catch {
      // Not empty (in use, or not the sweep's to remove), or gone.
    }
  }
  if (!bridgeOf(net)) return false;
  if (fs.readdirSync(`/sys/class/net/${net.network_interface}/brif`).length > 0) return true;
  // A bridge without interfaces keeps its rules until a teardown finds it so: one of a
  // namespace made for the purpose, at an address of the subnet no one else has (the gateway's).
  const ns = path.join(bin.configDir, "ns");
  const config = teardownConfig(net, ns);
  config.networks[net.name]!.static_ips = [formatIp(parseIp(net.subnets[0]!.gateway ?? "")! + 1)];
  await createNetns(ns);
  try {
    await netavarkSetup(bin, ns, config);
    await netavarkTeardown(bin, ns, config);
  } finally {
    await removeNetns(ns);
  }
  return false;
}

/** Releases what deleted roots left on the host, each once, by whichever process finds it first. */
export async function releaseDeadRoots(debug: (msg: string) => void): Promise<void> {
  const dead = takeDeadClaims();
  if (dead.length === 0) return;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-sweep-"));
  try {
    for (const d of dead) {
      const inUse = await releaseRoot(d.claim, defaultBinaries(work), debug).catch((e: Error) => {
        debug(`dead root ${d.claim.runRoot ?? d.claim.db}: ${e.message}`);
        return true;
      });
      if (inUse) d.later();
      else d.done();
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
