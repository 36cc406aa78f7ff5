// A container's names answered before its setup counts as done. aardvark-dns 1.4 (Debian 12)
// reloads on SIGHUP by closing every server socket, reading its configuration and binding
// them again; netavark writes the configuration, signals it and returns before that is done,
// and for a network's first container no server exists yet. A name asked meanwhile is
// refused (busybox nslookup fails at once: "no servers could be reached"). docker answers a
// container's names once run or network connect returned, so the engine asks aardvark-dns
// itself, from the host, until a server bound after the setup began answers them.
import dgram from "node:dgram";
import fs from "node:fs";
import os from "node:os";
import { netavarkSetup, type NetavarkBinaries } from "./netavark.js";
import type { NetavarkConfig, NetavarkResult } from "./types.js";

/** Far above a reload on a loaded machine; past it the run goes on without the names. */
const ANSWER_TIMEOUT_MS = 10_000;
/** Between asks while no answer came; an answer is taken whenever it comes. */
const ASK_EVERY_MS = 10;

/** One name aardvark-dns must answer with ip on the network whose server is at server. */
export interface NameExpected {
  server: string;
  name: string;
  ip: string;
}

const LABEL = /^[A-Za-z0-9_-]{1,63}$/;

/**
 * What a setup of config makes aardvark-dns answer: on each network with names, the
 * container's short id (its first alias there) or its name, with its address, at the gateway.
 */
export function namesExpected(config: NetavarkConfig): NameExpected[] {
  return Object.entries(config.networks).flatMap(([key, ep]) => {
    const n = config.network_info[key];
    const server = n?.subnets[0]?.gateway;
    const name = ep.aliases[0] ?? config.container_name;
    const ip = ep.static_ips[0];
    if (!n?.dns_enabled || !server || !ip || !name.split(".").every((l) => LABEL.test(l))) return [];
    return [{ server, name, ip }];
  });
}

/** /proc/net/udp's form of an IPv4 address: the 32-bit value in the host's byte order, in hex. */
function procAddress(ip: string): string {
  const octets = ip.split(".").map(Number);
  if (os.endianness() === "LE") octets.reverse();
  return octets.map((o) => o.toString(16).padStart(2, "0")).join("").toUpperCase();
}

/** The inode of the UDP socket bound to each address's port 53 in this network namespace now. */
export function dnsSockets(servers: string[]): Map<string, string> {
  const wanted = new Map(servers.map((s) => [`${procAddress(s)}:0035`, s]));
  const out = new Map<string, string>();
  for (const line of fs.readFileSync("/proc/net/udp", "utf8").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    const server = wanted.get(f[1] ?? "");
    if (server && f[9]) out.set(server, f[9]);
  }
  return out;
}

function query(id: number, name: string): Buffer {
  const labels = name.split(".").flatMap((l) => [Buffer.from([l.length]), Buffer.from(l, "ascii")]);
  // id, recursion desired, one question; then the name, type A, class IN.
  return Buffer.concat([Buffer.from([id >> 8, id & 0xff, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}

/** Where the name at `at` ends (a compression pointer ends it too); past the end when malformed. */
function skipName(msg: Buffer, at: number): number {
  while (at < msg.length) {
    const len = msg[at]!;
    if (len === 0) return at + 1;
    if ((len & 0xc0) === 0xc0) return at + 2;
    at += len + 1;
  }
  return msg.length + 1;
}

/** Whether a reply says ip: no error, and an A record of that address among its answers. */
export function repliesWith(msg: Buffer, ip: string): boolean {
  if (msg.length < 12 || (msg[2]! & 0x80) === 0 || (msg[3]! & 0x0f) !== 0) return false;
  let at = 12;
  for (let i = msg.readUInt16BE(4); i > 0; i--) at = skipName(msg, at) + 4;
  for (let i = msg.readUInt16BE(6); i > 0; i--) {
    at = skipName(msg, at);
    if (at + 10 > msg.length) return false;
    const type = msg.readUInt16BE(at);
    const len = msg.readUInt16BE(at + 8);
    at += 10;
    if (at + len > msg.length) return false;
    if (type === 1 && len === 4 && [...msg.subarray(at, at + 4)].join(".") === ip) return true;
    at += len;
  }
  return false;
}

/**
 * Resolves true once each name is answered, with its address, by a socket other than the one
 * `before` saw on its server (a reload binds new ones: an answer of the old configuration
 * does not count); false after timeoutMs.
 */
export function answered(expected: NameExpected[], before: Map<string, string>, timeoutMs = ANSWER_TIMEOUT_MS): Promise<boolean> {
  if (expected.length === 0) return Promise.resolve(true);
  const pending = new Set(expected);
  /** Queries sent to a new socket: their id, for which name. */
  const asked = new Map<number, NameExpected>();
  let id = Math.floor(Math.random() * 0x10000);
  return new Promise((resolve) => {
    const s = dgram.createSocket("udp4");
    const end = (ok: boolean) => {
      clearInterval(timer);
      clearTimeout(deadline);
      s.close();
      resolve(ok);
    };
    const ask = () => {
      const now = dnsSockets([...pending].map((e) => e.server));
      for (const e of pending) {
        const inode = now.get(e.server);
        if (inode === undefined || inode === before.get(e.server)) continue;
        id = (id + 1) & 0xffff;
        asked.set(id, e);
        s.send(query(id, e.name), 53, e.server);
      }
    };
    // A send to an address nobody serves yet is not an error to act on: the next ask retries.
    s.on("error", () => {});
    s.on("message", (msg, from) => {
      const e = msg.length >= 2 ? asked.get(msg.readUInt16BE(0)) : undefined;
      if (!e || from.address !== e.server || !repliesWith(msg, e.ip)) return;
      pending.delete(e);
      if (pending.size === 0) end(true);
    });
    const timer = setInterval(ask, ASK_EVERY_MS);
    const deadline = setTimeout(() => end(false), timeoutMs);
    ask();
  });
}

/**
 * netavark setup, then the container's names answered by aardvark-dns (debug says so when
 * they were not in time: the container runs all the same, as it would under podman).
 */
export async function setupAnswering(b: NetavarkBinaries, netns: string, config: NetavarkConfig, debug: (msg: string) => void, configFile?: string): Promise<NetavarkResult> {
  const expected = namesExpected(config);
  const before = expected.length > 0 ? dnsSockets(expected.map((e) => e.server)) : new Map<string, string>();
  const result = await netavarkSetup(b, netns, config, configFile);
  if (!(await answered(expected, before))) {
    debug(`aardvark-dns did not answer ${expected.map((e) => `${e.name} at ${e.server}`).join(", ")} within ${ANSWER_TIMEOUT_MS} ms`);
  }
  return result;
}
