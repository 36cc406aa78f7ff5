// Runs netavark: `setup` gives a network namespace its interfaces, addresses, routes, NAT and
// published ports from a complete description; `teardown` takes the same description back.
// netavark starts and updates aardvark-dns itself for networks with DNS.
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { MydockerError } from "../util/errors.js";
import { flockShared } from "../util/fsat.js";
import { runPiped, type Ran } from "../util/run-piped.js";
import type { NetworkRecord } from "./store.js";
import type { NetavarkConfig, NetavarkNetwork, NetavarkResult } from "./types.js";

export interface NetavarkBinaries {
  netavark: string;
  aardvark: string;
  /** netavark's state directory (aardvark-dns's configuration lives under it). */
  configDir: string;
}

const NETAVARK = "/usr/lib/podman/netavark";
/** flock's exit status when the lock did not come in time. */
const LOCK_TIMEOUT = 75;
const AARDVARK = "/usr/lib/podman/aardvark-dns";
/** netavark runs under this lock until the host's firewall chains exist (lockFile). */
const HOST_LOCK = "/run/mydocker-netavark.lock";
/** Made once a setup has made the host's firewall chains; in /run, as the rules: a reboot takes both. */
const HOST_CHAINS_MADE = "/run/mydocker-netavark.chains";

/**
 * The lock netavark runs under. Two netavark runs that make one firewall chain at once fail
 * ("Chain already exists"), and a teardown that finds a bridge without interfaces removes it
 * under another container's setup. A network's own chains (named after its name in netavark,
 * netavarkName) and its bridge are its root's alone; the host's chains (NETAVARK_FORWARD,
 * NETAVARK-HOSTPORT-*) are made by the first setup on the host and never removed. So: one
 * lock per engine root, and the host's too until its chains exist; roots side by side
 * (parallel test files, other users' engines) do not wait for each other.
 */
function lockFile(b: NetavarkBinaries): string {
  return path.join(b.configDir, "lock");
}

/** flock(1) around command, on the root's lock and, until the host's chains exist, the host's too (always in that order). */
function locked(b: NetavarkBinaries, command: string[]): string[] {
  const flock = (file: string) => ["flock", "-o", "-w", "120", "-E", String(LOCK_TIMEOUT), file];
  return [...flock(lockFile(b)), ...(fs.existsSync(HOST_CHAINS_MADE) ? [] : flock(HOST_LOCK)), ...command];
}

export function defaultBinaries(configDir: string): NetavarkBinaries {
  return {
    netavark: process.env.MYDOCKER_NETAVARK ?? NETAVARK,
    aardvark: process.env.MYDOCKER_AARDVARK ?? AARDVARK,
    configDir,
  };
}

/**
 * What netavark reads on stdin: the description, or a file of the caller's that holds it
 * already (a run's netavark.json), which then costs no file of its own.
 */
type Input = { text: string } | { file: string };

/** lock "held": the caller holds the host's lock (shared) for this run; else netavark runs holding it alone. */
function run(b: NetavarkBinaries, args: string[], input: Input, lock: "alone" | "held" = "alone"): Promise<Ran> {
  if (!fs.existsSync(b.netavark)) {
    throw new MydockerError("ENONETAVARK", `netavark is not installed (${b.netavark}): install the netavark and aardvark-dns packages, or use --network none or host`);
  }
  // Alone, as podman runs netavark, unless the caller holds the lock shared (setupShared):
  // a teardown that finds a bridge without interfaces removes it, under another
  // container's setup; two first setups of a network race on its chains. flock(1) holds
  // the lock for netavark's life and drops it whenever that ends, a kill -9 included; -o
  // keeps the lock's fd out of netavark, whose aardvark-dns daemon would hold it forever.
  const command = [b.netavark, "--config", b.configDir, "--aardvark-binary", b.aardvark, ...args];
  const argv = lock === "held" ? command : locked(b, command);
  // The description on stdin from a file, not a pipe: netavark reads it holding the host's
  // lock, and a pipe waits on this process's event loop, which a caller may block (spawnSync).
  const stdin = "file" in input ? fs.openSync(input.file, "r") : inputFd(b.configDir, input.text);
  try {
    return runPiped(argv, stdin);
  } finally {
    fs.closeSync(stdin);
  }
}

/** A read fd on a file holding text, already unlinked. */
function inputFd(dir: string, text: string): number {
  const file = path.join(dir, `input.${process.pid}.${crypto.randomBytes(6).toString("hex")}`);
  fs.writeFileSync(file, text, { mode: 0o600 });
  try {
    return fs.openSync(file, "r");
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** netavark's own message: its JSON error's text, or its last stderr line. */
function message(code: number, stdout: string, stderr: string): string {
  if (code === LOCK_TIMEOUT) return "another netavark held the engine's network lock for 120 s: try again";
  try {
    const e = JSON.parse(stdout) as { error?: string };
    if (e.error) return e.error;
  } catch {
    // Not JSON: the message is on stderr.
  }
  const lines = stderr.split("\n").filter((l) => l.trim() && !l.includes("failed to connect to syslog"));
  return lines.at(-1) ?? "failed";
}

/**
 * Setups that may run side by side, the host's lock shared: of a container on bridges without
 * DNS (aardvark-dns's files) that have interfaces already (no setup has ports: the monitors
 * publish them). Their network's chains were made then, and no teardown (which takes the lock
 * alone) can remove them meanwhile: netavark only checks them and adds the container's
 * interfaces. A burst of runs on the default bridge is no longer one netavark at a time.
 */
function shareable(config: NetavarkConfig): boolean {
  return Object.values(config.network_info).every((n) => !n.dns_enabled && n.driver === "bridge");
}

function bridgesInUse(config: NetavarkConfig): boolean {
  return Object.values(config.network_info).every((n) => fs.readdirSync(`/sys/class/net/${n.network_interface}/brif`).length > 0);
}

/**
 * The root's lock, shared, on an fd of our own: held until the fd is closed. Taken at once
 * when nobody holds it alone; else flock(1) waits for it, off this process's one thread.
 */
async function sharedLock(b: NetavarkBinaries): Promise<number> {
  const fd = fs.openSync(lockFile(b), fs.constants.O_RDONLY | fs.constants.O_CREAT, 0o600);
  if (flockShared(fd)) return fd;
  const code = await new Promise<number>((resolve) => {
    spawn("flock", ["-s", "-w", "120", "-E", String(LOCK_TIMEOUT), "3"], { stdio: ["ignore", "ignore", "ignore", fd] })
      .on("error", () => resolve(1))
      .on("close", (c) => resolve(c ?? 1));
  });
  if (code === 0) return fd;
  fs.closeSync(fd);
  throw new MydockerError("ENETSETUP", message(code, "", "cannot take the host's netavark lock"));
}

/** A shareable setup with the lock shared, when its bridges are in use; undefined: it must run alone. */
async function setupShared(b: NetavarkBinaries, args: string[], config: NetavarkConfig, input: Input): Promise<Ran | undefined> {
  const fd = await sharedLock(b);
  try {
    let inUse = false;
    try {
      inUse = bridgesInUse(config);
    } catch {
      // No such bridge yet: its first setup makes it, alone.
    }
    return inUse ? await run(b, args, input, "held") : undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * configFile: a file that holds config as JSON already (the run's netavark.json): netavark
 * reads it there. Every file made costs an inode, and on a file system that has freed many
 * lately (ext4 without a journal skips those for minutes) making one costs a scan.
 */
export async function netavarkSetup(b: NetavarkBinaries, netns: string, config: NetavarkConfig, configFile?: string): Promise<NetavarkResult> {
  fs.mkdirSync(b.configDir, { recursive: true, mode: 0o700 });
  const args = ["setup", netns];
  const input: Input = configFile ? { file: configFile } : { text: JSON.stringify(config) };
  const r = (shareable(config) ? await setupShared(b, args, config, input) : undefined) ?? (await run(b, args, input));
  if (r.code !== 0) throw new MydockerError("ENETSETUP", `setting up the network of container ${config.container_name}: ${message(r.code, r.stdout, r.stderr)}`);
  // A network with a firewall has made the host's chains, if they were not there.
  if (Object.values(config.network_info).some((n) => !n.internal) && !fs.existsSync(HOST_CHAINS_MADE)) fs.writeFileSync(HOST_CHAINS_MADE, "");
  return JSON.parse(r.stdout) as NetavarkResult;
}

export async function netavarkTeardown(b: NetavarkBinaries, netns: string, config: NetavarkConfig): Promise<void> {
  fs.mkdirSync(b.configDir, { recursive: true, mode: 0o700 });
  const r = await run(b, ["teardown", netns], { text: JSON.stringify(config) });
  if (r.code !== 0) throw new MydockerError("ENETTEARDOWN", `tearing down the network of container ${config.container_name}: ${message(r.code, r.stdout, r.stderr)}`);
}

/**
 * A network's name in netavark, its key in netavark's input and answer. netavark names a
 * network's firewall chains after it (NETAVARK-<hash of the name>), and every engine root has
 * a network named bridge (and may share user networks' names with others): under the name a
 * user gives, two roots' networks would share a chain, and the last container of one leaving
 * would take out the other's masquerade rule.
 */
export function netavarkName(n: NetworkRecord): string {
  return `mydocker-${n.id.slice(0, 12)}`;
}

/** A network as netavark is told of it. */
export function netavarkNetwork(n: NetworkRecord): NetavarkNetwork {
  return {
    name: netavarkName(n),
    id: n.id,
    driver: "bridge",
    network_interface: n.bridge,
    subnets: [{ subnet: n.subnet, gateway: n.gateway }],
    ipv6_enabled: false,
    internal: n.internal,
    dns_enabled: n.dns,
    ipam_options: { driver: "host-local" },
  };
}
