// IPv4 address arithmetic for the engine's address management: subnets, the pool new
// networks take theirs from, the host's own routes (a new subnet must not shadow one), and
// the next free address of a network.
import fs from "node:fs";
import { MydockerError } from "../util/errors.js";

export interface Cidr {
  /** The network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

export function parseIp(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return parts.reduce((a, p) => a * 256 + p, 0);
}

export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** "10.1.2.0/24"; a base with host bits set is refused, as docker does. */
export function parseCidr(s: string, what = "subnet"): Cidr {
  const [ip, bits, extra] = s.split("/");
  const base = parseIp(ip ?? "");
  const prefix = Number(bits);
  if (base === undefined || extra !== undefined || !/^\d{1,2}$/.test(bits ?? "") || prefix > 32) {
    throw new MydockerError("EINVAL", `invalid ${what} ${s}: give an IPv4 network as ADDRESS/BITS, e.g. 10.10.0.0/24`);
  }
  if ((base & ~maskOf(prefix)) >>> 0 !== 0) {
    throw new MydockerError("EINVAL", `invalid ${what} ${s}: it has host bits set; did you mean ${formatCidr({ base: (base & maskOf(prefix)) >>> 0, prefix })}?`);
  }
  return { base, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.prefix}`;
}

export function contains(c: Cidr, ip: number): boolean {
  return ((ip & maskOf(c.prefix)) >>> 0) === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & maskOf(p)) >>> 0) === ((b.base & maskOf(p)) >>> 0);
}

/** The host's IPv4 routes other than the default one (/proc/net/route, little-endian hex). */
export function hostRoutes(): Cidr[] {
  let text: string;
  try {
    text = fs.readFileSync("/proc/net/route", "utf8");
  } catch {
    return [];
  }
  const le = (hex: string) => Buffer.from(hex, "hex").readUInt32LE(0);
  return text
    .split("\n")
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 8 && f[1] !== "00000000")
    .map((f) => {
      const mask = le(f[7]!);
      return { base: le(f[1]!), prefix: mask.toString(2).replace(/0/g, "").length };
    });
}

/**
 * The subnets new networks take: blocks of the given size (/24 unless told) of docker's
 * 172.17.0.0/16–172.31.0.0/16, in order; the first one free of taken wins.
 */
export function* poolSubnets(prefix = 24): Generator<Cidr> {
  const size = 2 ** (32 - prefix);
  const end = ((172 << 24) | (32 << 16)) >>> 0;
  for (let base = ((172 << 24) | (17 << 16)) >>> 0; base + size <= end; base += size) yield { base, prefix };
}

/** The gateway docker gives a subnet: its first address. */
export function firstHost(c: Cidr): number {
  return c.base + 1;
}

/**
 * The first address of range (the subnet, or --ip-range within it) after `after` (from the
 * start of range when it is not in it; wrapping around) that is neither the subnet's network
 * or broadcast address, the gateway, nor in used.
 */
export function nextFreeIp(subnet: Cidr, range: Cidr, gateway: number, used: Set<number>, after?: number): number {
  const size = 2 ** (32 - range.prefix);
  const broadcast = subnet.base + 2 ** (32 - subnet.prefix) - 1;
  const from = after !== undefined && after >= range.base && after < range.base + size ? after - range.base + 1 : 0;
  for (let i = 0; i < size; i++) {
    const ip = range.base + ((from + i) % size);
    if (ip === subnet.base || ip === broadcast || ip === gateway || used.has(ip)) continue;
    return ip;
  }
  throw new MydockerError("ENOADDR", `no available IPv4 addresses on the network's range ${formatCidr(range)}: remove containers from it or make a larger network`);
}

/**
 * docker's MAC for an address (02:42 and its four bytes): an address handed to a new
 * container keeps its MAC, so the bridge's neighbour entry of the container that had it
 * before is still right (else the host sends to a MAC gone with its veth until the entry ages
 * out, tens of seconds).
 */
export function macForIp(ip: string): string {
  const n = parseIp(ip);
  if (n === undefined) throw new MydockerError("EINVAL", `invalid IP address ${ip}`);
  return ["02", "42", ...[24, 16, 8, 0].map((b) => ((n >>> b) & 0xff).toString(16).padStart(2, "0"))].join(":");
}
