// Runs netavark: `setup` gives a network namespace its interfaces, addresses, routes, NAT and
// published ports from a complete description; `teardown` takes the same description back.
// netavark starts and updates aardvark-dns itself for networks with DNS.
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { MydockerError } from "../util/errors.js";
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
/**
 * One lock for the host, not per engine root: netavark's firewall chains (NETAVARK_FORWARD,
 * the port-forwarding ones) are shared by every bridge, and two netavark runs that make one
 * at once fail ("Chain already exists").
 */
const HOST_LOCK = "/run/mydocker-netavark.lock";

export function defaultBinaries(configDir: string): NetavarkBinaries {
  return {
    netavark: process.env.MYDOCKER_NETAVARK ?? NETAVARK,
    aardvark: process.env.MYDOCKER_AARDVARK ?? AARDVARK,
    configDir,
  };
}

function run(b: NetavarkBinaries, args: string[], input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!fs.existsSync(b.netavark)) {
    throw new MydockerError("ENONETAVARK", `netavark is not installed (${b.netavark}): install the netavark and aardvark-dns packages, or use --network none or host`);
  }
  return new Promise((resolve, reject) => {
    // One netavark at a time, as podman does: a teardown that finds a bridge without
    // interfaces removes it, under another container's setup. flock(1) holds
    // the lock for netavark's life and drops it whenever that ends, a kill -9 included; -o
    // keeps the lock's fd out of netavark, whose aardvark-dns daemon would hold it forever.
    const lock = HOST_LOCK;
    const argv = ["-o", "-w", "120", "-E", String(LOCK_TIMEOUT), lock, b.netavark, "--config", b.configDir, "--aardvark-binary", b.aardvark, ...args];
    // The description on stdin from a file, not a pipe: netavark reads it holding the host's
    // lock, and a pipe waits on this process's event loop, which a caller may block (spawnSync).
    const stdin = inputFd(b.configDir, input);
    let child: ChildProcess;
    try {
      child = spawn("flock", argv, { stdio: [stdin, "pipe", "pipe"] });
    } finally {
      fs.closeSync(stdin);
    }
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => (stdout += d));
    child.stderr?.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
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

export async function netavarkSetup(b: NetavarkBinaries, netns: string, config: NetavarkConfig): Promise<NetavarkResult> {
  fs.mkdirSync(b.configDir, { recursive: true, mode: 0o700 });
  const r = await run(b, ["setup", netns], JSON.stringify(config));
  if (r.code !== 0) throw new MydockerError("ENETSETUP", `setting up the network of container ${config.container_name}: ${message(r.code, r.stdout, r.stderr)}`);
  return JSON.parse(r.stdout) as NetavarkResult;
}

export async function netavarkTeardown(b: NetavarkBinaries, netns: string, config: NetavarkConfig): Promise<void> {
  fs.mkdirSync(b.configDir, { recursive: true, mode: 0o700 });
  const r = await run(b, ["teardown", netns], JSON.stringify(config));
  if (r.code !== 0) throw new MydockerError("ENETTEARDOWN", `tearing down the network of container ${config.container_name}: ${message(r.code, r.stdout, r.stderr)}`);
}

/** A network as netavark is told of it. */
export function netavarkNetwork(n: NetworkRecord): NetavarkNetwork {
  return {
    name: n.name,
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
