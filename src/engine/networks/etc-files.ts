// /etc/hosts, /etc/resolv.conf and /etc/hostname as docker writes them for a container: made
// for each run in the container's directory and bind-mounted over the image's, so the image
// and `commit` never see them. Their mount points live in a layer of their own ("init",
// between the image's layers and the container's), as docker's init layer does.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import type { Spec } from "../../spec/runtime.js";
import { FlagError, MydockerError } from "../../util/errors.js";

export const ETC_FILES = ["hosts", "resolv.conf", "hostname"] as const;

/** The options that shape resolv.conf (docker's --dns, --dns-search, --dns-option). */
export interface DnsOptions {
  servers?: string[];
  search?: string[];
  options?: string[];
}

export interface ExtraHost {
  host: string;
  /** An address, or "host-gateway": the host's address on the container's network. */
  ip: string;
}

/** --add-host HOST:IP (or HOST=IP); IP may be host-gateway. */
export function parseAddHost(s: string): ExtraHost {
  const i = s.search(/[:=]/);
  const host = i < 0 ? "" : s.slice(0, i);
  const ip = i < 0 ? "" : s.slice(i + 1).replace(/^\[(.*)\]$/, "$1");
  if (!host || !/^[a-zA-Z0-9_.-]+$/.test(host) || (ip !== "host-gateway" && net.isIP(ip) === 0)) {
    throw new FlagError("EINVAL", `invalid argument "${s}" for "--add-host" flag: give HOST:IP, an IPv4 or IPv6 address or host-gateway`);
  }
  return { host, ip };
}

/** One word of resolv.conf: a line break or a space in it would write lines of the caller's own. */
const ONE_WORD = /^[^\s\x00-\x1f\x7f]+$/;

export function checkDns(d: DnsOptions): void {
  for (const s of d.servers ?? []) {
    if (net.isIP(s) === 0) throw new MydockerError("EINVAL", `${s} is not an ip address: give --dns an IPv4 or IPv6 address`);
  }
  for (const s of d.search ?? []) {
    if (s.length > 255 || !ONE_WORD.test(s)) throw new MydockerError("EINVAL", `${JSON.stringify(s)} is not a valid domain: give --dns-search a domain name`);
  }
  for (const s of d.options ?? []) {
    if (!ONE_WORD.test(s)) throw new MydockerError("EINVAL", `invalid --dns-option ${JSON.stringify(s)}: one option (as ndots:2), without spaces or line breaks`);
  }
}

/** A name aardvark-dns serves: its file lists a container's names in one line, split at commas. */
export function checkAliases(aliases: readonly string[] | undefined): void {
  for (const a of aliases ?? []) {
    if (a.length > 255 || !ONE_WORD.test(a) || a.includes(",")) throw new MydockerError("EINVAL", `invalid network alias ${JSON.stringify(a)}: one name, without spaces, commas or line breaks`);
  }
}

/** RFC 1123 names, as docker checks --hostname (and --domainname) before writing /etc/hosts with them. */
const RFC1123 = /^(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])\.)*([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;

export function checkHostname(flag: "--hostname" | "--domainname", name: string | undefined): void {
  if (name && (name.length > 255 || !RFC1123.test(name))) throw new MydockerError("EINVAL", `invalid ${flag.slice(2)} format: ${JSON.stringify(name)} (${flag}: letters, digits, '-' and '.')`);
}

const LOCALHOST = `127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
ff00::0\tip6-mcastprefix
ff02::1\tip6-allnodes
ff02::2\tip6-allrouters
`;

/** docker's /etc/hosts: localhost, the --add-host entries, then the container's own addresses and names. */
export function hostsText(own: { ip: string; names: string[] }[], extra: ExtraHost[], base = LOCALHOST): string {
  return base + extra.map((e) => `${e.ip}\t${e.host}\n`).join("") + own.map((o) => `${o.ip}\t${o.names.join(" ")}\n`).join("");
}

interface Resolv {
  servers: string[];
  search: string[];
  options: string[];
}

/** The host's resolv.conf, read as docker reads it. */
export function parseResolv(text: string): Resolv {
  const r: Resolv = { servers: [], search: [], options: [] };
  for (const line of text.split("\n")) {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (key === "nameserver" && rest[0]) r.servers.push(rest[0]);
    else if (key === "search" || key === "domain") r.search = rest;
    else if (key === "options") r.options.push(...rest);
  }
  return r;
}

function hostResolv(): Resolv {
  try {
    return parseResolv(fs.readFileSync("/etc/resolv.conf", "utf8"));
  } catch {
    return { servers: [], search: [], options: [] };
  }
}

/** A loopback resolver of the host means nothing in the container's own network namespace. */
const isLoopback = (ip: string) => ip.startsWith("127.") || ip === "::1";

/**
 * docker's /etc/resolv.conf: the network's name server (aardvark-dns) alone on user networks,
 * the host's resolvers on the default bridge (loopback ones left out), or the host's as they
 * are with the host's network; --dns, --dns-search and --dns-option replace their parts. On
 * user networks --dns is aardvark-dns's upstream for the container, as it is docker's
 * embedded server's.
 */
export function resolvText(d: DnsOptions, mode: { hostNetwork: boolean; nameServers: string[] }): string {
  const host = hostResolv();
  let servers = mode.hostNetwork ? host.servers : host.servers.filter((s) => !isLoopback(s));
  if (d.servers?.length) servers = d.servers;
  // aardvark-dns answers the network's names and forwards the rest upstream.
  if (mode.nameServers.length) servers = mode.nameServers;
  const search = d.search?.length ? d.search.filter((s) => s !== ".") : host.search;
  const options = d.options?.length ? d.options : host.options;
  return (
    (search.length ? `search ${search.join(" ")}\n` : "") + servers.map((s) => `nameserver ${s}\n`).join("") + (options.length ? `options ${options.join(" ")}\n` : "")
  );
}

/**
 * The empty files the bind mounts go over: the init layer all containers share, made once
 * whole (in a directory of its own, renamed into place: a concurrent maker's copy is dropped).
 */
export function ensureInitLayer(dir: string): void {
  if (fs.existsSync(dir)) return;
  const tmp = `${dir}.${process.pid}.${Date.now()}.tmp`;
  try {
    fs.mkdirSync(path.join(tmp, "etc"), { recursive: true, mode: 0o755 });
    for (const f of ETC_FILES) fs.writeFileSync(path.join(tmp, "etc", f), "", { mode: 0o644 });
    fs.renameSync(tmp, dir);
  } catch (e) {
    if (!fs.existsSync(dir)) throw e;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export interface EtcInput {
  hostname: string;
  domainname: string;
  /** The container's addresses in this run (none with --network none or host). */
  ips: string[];
  extraHosts: string[];
  /** What host-gateway stands for. */
  gateway: string;
  dns: DnsOptions;
  hostNetwork: boolean;
  /** The name servers of the container's user networks (aardvark-dns, on each gateway). */
  nameServers: string[];
}

/** Writes the three files into dir; what the spec mounts over the container's own. */
export function writeEtcFiles(dir: string, e: EtcInput): { destination: string; source: string }[] {
  const names = e.domainname ? [`${e.hostname}.${e.domainname}`, e.hostname] : [e.hostname];
  const extra = e.extraHosts.map(parseAddHost).map((h) => (h.ip === "host-gateway" ? { ...h, ip: e.gateway } : h));
  const base = e.hostNetwork ? readOr("/etc/hosts", LOCALHOST) : LOCALHOST;
  const texts: Record<(typeof ETC_FILES)[number], string> = {
    hosts: hostsText(e.ips.map((ip) => ({ ip, names })), extra, base.endsWith("\n") ? base : `${base}\n`),
    "resolv.conf": resolvText(e.dns, { hostNetwork: e.hostNetwork, nameServers: e.nameServers }),
    hostname: `${e.hostname}\n`,
  };
  return ETC_FILES.map((f) => {
    const source = path.join(dir, f);
    fs.writeFileSync(`${source}.new`, texts[f], { mode: 0o644 });
    fs.renameSync(`${source}.new`, source);
    return { destination: `/etc/${f}`, source };
  });
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return fallback;
  }
}

/**
 * Binds a run's generated /etc files into a spec, where the user mounts nothing there
 * (-v FILE:/etc/hosts wins, as in docker).
 */
export function bindEtcFiles(spec: Spec, etc: { destination: string; source: string }[]): void {
  const mounts = spec.mounts ?? [];
  for (const e of etc) {
    if (!mounts.some((m) => m.destination === e.destination)) mounts.push({ destination: e.destination, type: "bind", source: e.source, options: ["rbind", "rprivate"] });
  }
  spec.mounts = mounts;
}
