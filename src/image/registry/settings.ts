// How to speak to one registry: which CA to trust and which client certificate to show
// (certs.d, as docker and podman read it), and whether it is insecure (HTTPS without
// verification, then plain HTTP) by --tls-verify=false or the insecure-registries setting.
import fs from "node:fs";
import path from "node:path";
import { MydockerError, isErrno } from "../../util/errors.js";
import { readJsonObject } from "../../util/json-file.js";
import type { TlsSettings } from "./http.js";

/** The engine's settings file, docker's daemon.json keys where docker has one. */
export interface RegistryConfig {
  /** "host[:port]" or an IPv4 CIDR ("10.0.0.0/8"): registries spoken to without TLS verification. */
  "insecure-registries"?: string[];
  /** Directories holding HOST[:PORT]/ca.crt, client.cert, client.key. */
  "certs-d"?: string[];
}

export const DefaultConfigFile = "/etc/mydocker/daemon.json";
const DefaultCertsDirs = ["/etc/docker/certs.d", "/etc/containers/certs.d"];

/** The settings file (MYDOCKER_CONFIG_FILE, else /etc/mydocker/daemon.json); none is no settings. */
export function readRegistryConfig(file = process.env.MYDOCKER_CONFIG_FILE || DefaultConfigFile): RegistryConfig {
  const config = readJsonObject(file);
  const list = (key: keyof RegistryConfig): string[] | undefined => {
    const v = config[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new MydockerError("config_error", `${file}: "${key}" must be a list of strings`);
    return v as string[];
  };
  return { "insecure-registries": list("insecure-registries"), "certs-d": list("certs-d") };
}

function ipv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

function inCidr(host: string, cidr: string): boolean {
  const [net, bits] = cidr.split("/");
  const a = ipv4(hostName(host));
  const b = ipv4(net ?? "");
  const n = Number(bits);
  if (a === undefined || b === undefined || !Number.isInteger(n) || n < 0 || n > 32) return false;
  const size = 2 ** (32 - n);
  return Math.floor(a / size) === Math.floor(b / size);
}

/** The host without its port or IPv6 brackets. */
export function hostName(host: string): string {
  return host.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
}

export function isLoopback(host: string): boolean {
  const name = hostName(host);
  return name === "localhost" || name === "::1" || /^127\.\d+\.\d+\.\d+$/.test(name);
}

export function isInsecure(host: string, config: RegistryConfig): boolean {
  return (config["insecure-registries"] ?? []).some((entry) => (entry.includes("/") ? inCidr(host, entry) : entry === host || entry === hostName(host)));
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    if (isErrno(e, "ENOENT") || isErrno(e, "ENOTDIR")) return undefined;
    throw new MydockerError("config_error", `reading ${file}: ${(e as Error).message}`);
  }
}

/** The CAs (*.crt) and client certificate (*.cert with its *.key) in one directory. */
function certsIn(dir: string, into: TlsSettings): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch (e) {
    if (isErrno(e, "ENOENT") || isErrno(e, "ENOTDIR")) return;
    throw new MydockerError("config_error", `reading ${dir}: ${(e as Error).message}`);
  }
  for (const name of names) {
    if (name.endsWith(".crt")) (into.ca ??= []).push(readIfExists(path.join(dir, name)) ?? "");
    if (!name.endsWith(".cert") || into.cert !== undefined) continue;
    const key = readIfExists(path.join(dir, name.replace(/\.cert$/, ".key")));
    if (key === undefined) throw new MydockerError("config_error", `${path.join(dir, name)} has no matching ${name.replace(/\.cert$/, ".key")}`);
    into.cert = readIfExists(path.join(dir, name));
    into.key = key;
  }
}

/**
 * The TLS settings for host: certDir alone when given (podman's --cert-dir), else
 * HOST[:PORT]/ in each certs.d directory.
 */
export function tlsSettings(host: string, verify: boolean, config: RegistryConfig, certDir?: string): TlsSettings {
  const settings: TlsSettings = { verify };
  if (certDir !== undefined) certsIn(certDir, settings);
  else for (const root of config["certs-d"] ?? DefaultCertsDirs) certsIn(path.join(root, host), settings);
  return settings;
}
