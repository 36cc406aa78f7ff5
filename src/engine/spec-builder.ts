// Turns a container's docker-shaped configuration into an OCI runtime spec. This is the
// engine's whole contract with the runtime: no syscall decision is made here.
import fs from "node:fs";
import os from "node:os";
import type { Device, Mount, Spec } from "../spec/runtime.js";
import { CAPABILITIES, DEFAULT_PATH, defaultSpec } from "../runtime/index.js";
import { MydockerError } from "../util/errors.js";
import type { ContainerRecord } from "./container-store.js";
import { applyHostOptions } from "./host-options/apply.js";
import type { PeerLookup } from "./host-options/namespaces.js";
import { noNewPrivileges, seccompFor } from "./seccomp-options.js";
import { resolveUser } from "./user.js";

/** The name the container's host has: given, else its short id; with the host's UTS namespace, the host's (docker's HOSTNAME too). */
export function containerHostname(c: ContainerRecord): string {
  return c.hostConfig.UTSMode === "host" ? os.hostname() : c.config.Hostname || c.id.slice(0, 12);
}

export interface SpecContext {
  /** The container's root directory as the runtime will see it (the overlay's mount point). */
  rootfs: string;
  /** Reads a file of the container's root filesystem before it is mounted. */
  readFile: (p: string) => string | undefined;
  /** The engine's default parent cgroup. */
  cgroupParent: string;
  /** The host's static mydocker-init (the shim binary), bound into containers run with --init. */
  initBinary: string;
  /** The host's device nodes, which a --privileged container gets. */
  hostDevices: () => Device[];
  /**
   * Another container, up to date: one whose namespace this one joins (--ipc/--pid
   * container:). Only to start the container; without it (exec, cp) none is joined.
   */
  peers?: PeerLookup;
}

/** Where --init's binary appears in the container, as docker's /sbin/docker-init does. */
export const INIT_PATH = "/sbin/mydocker-init";

/**
 * Every capability the engine itself holds (containerd's WithAllCurrentCapabilities):
 * --privileged and --cap-add ALL cannot give more, and a container asking the kernel for a
 * capability its runtime lacks (a host whose bounding set was trimmed) fails to start.
 */
export function allCapabilities(): string[] {
  const prm = /^CapPrm:\s*([0-9a-f]+)$/m.exec(fs.readFileSync("/proc/self/status", "utf8"))?.[1];
  const held = prm === undefined ? ~0n : BigInt(`0x${prm}`);
  return [...CAPABILITIES].filter(([, num]) => (held >> BigInt(num)) & 1n).map(([name]) => name);
}

/** `net_raw`, `NET_RAW` and `CAP_NET_RAW` all name CAP_NET_RAW. */
export function normalizeCapability(name: string): string {
  const upper = name.toUpperCase();
  const full = upper.startsWith("CAP_") ? upper : `CAP_${upper}`;
  if (!CAPABILITIES.has(full)) throw new MydockerError("EINVAL", `invalid capability: ${name}: see capabilities(7) for the names`);
  return full;
}

const normalizeAll = (l: string[]): string[] => l.map((c) => (c.toUpperCase() === "ALL" ? "ALL" : normalizeCapability(c)));

/** Refuses an unknown name in --cap-add or --cap-drop at create, as docker's daemon does, not at the first start. */
export function checkCapabilities(add: string[], drop: string[]): void {
  normalizeAll([...add, ...drop]);
}

/** Docker's rule: the capability list starts from the default set, ALL adds or drops everything. */
export function capabilitySet(defaults: string[], add: string[], drop: string[]): string[] {
  const a = normalizeAll(add);
  const d = normalizeAll(drop);
  let caps = a.includes("ALL") ? allCapabilities() : [...defaults];
  if (d.includes("ALL")) caps = [];
  for (const c of a) if (c !== "ALL" && !caps.includes(c)) caps.push(c);
  return caps.filter((c) => !d.includes(c) || a.includes(c));
}

function envMerge(base: string[], extra: string[]): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...extra]) {
    const i = e.indexOf("=");
    out.set(i < 0 ? e : e.slice(0, i), e);
  }
  return [...out.values()];
}

/** The container joins a network namespace the engine made (and netavark set up) instead of a new one. */
export function joinNetworkNamespace(spec: Spec, nsPath: string): void {
  const linux = (spec.linux ??= {});
  linux.namespaces = [...(linux.namespaces ?? []).filter((n) => n.type !== "network"), { type: "network", path: nsPath }];
}

export function buildSpec(c: ContainerRecord, ctx: SpecContext): Spec {
  const spec = defaultSpec();
  const cfg = c.config;
  const hc = c.hostConfig;
  const command = [...(cfg.Entrypoint ?? []), ...cfg.Cmd];
  if (command.length === 0) {
    throw new MydockerError("ENOCMD", "no command specified: give a command after the image name");
  }
  const args = hc.Init ? [INIT_PATH, "--", ...command] : command;
  const user = resolveUser(cfg.User, ctx.readFile);
  const hostname = containerHostname(c);
  let env = envMerge([`PATH=${DEFAULT_PATH}`, `HOSTNAME=${hostname}`], cfg.Env);
  if (cfg.Tty) env = envMerge(env, ["TERM=xterm"]);
  if (!env.some((e) => e.startsWith("HOME="))) env.push(`HOME=${user.home || "/"}`);

  const process = spec.process!;
  process.terminal = cfg.Tty;
  process.args = args;
  process.env = env;
  process.cwd = cfg.WorkingDir || "/";
  process.user = { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids };
  const caps = hc.Privileged ? allCapabilities() : capabilitySet(process.capabilities?.bounding ?? [], hc.CapAdd, hc.CapDrop);
  process.capabilities = { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] };
  if (hc.OomScoreAdj) process.oomScoreAdj = hc.OomScoreAdj;
  if (noNewPrivileges(hc.SecurityOpt ?? [])) process.noNewPrivileges = true;

  spec.root = { path: ctx.rootfs, readonly: hc.ReadonlyRootfs };
  spec.hostname = hostname;
  if (cfg.Domainname) spec.domainname = cfg.Domainname;
  spec.mounts = [...(spec.mounts ?? []), ...hc.Mounts];
  if (hc.Init) spec.mounts.push({ destination: INIT_PATH, type: "bind", source: ctx.initBinary, options: ["bind", "ro"] });
  const linux = spec.linux!;
  const seccomp = seccompFor(hc.SecurityOpt ?? [], hc.Privileged, caps);
  if (seccomp) linux.seccomp = seccomp;
  linux.resources = { ...linux.resources, ...hc.Resources };
  linux.cgroupsPath = cgroupsPathOf(c.id, hc.CgroupParent, ctx.cgroupParent);
  if (hc.Privileged) {
    // As docker: the host's devices are made in the container's /dev, and every device may be used.
    linux.devices = [...(linux.devices ?? []), ...ctx.hostDevices()];
    linux.resources.devices = [{ allow: true, access: "rwm" }];
    linux.maskedPaths = [];
    linux.readonlyPaths = [];
    const writable = (m: Mount) => m.destination === "/sys" || m.type === "cgroup";
    spec.mounts = spec.mounts.map((m) => (writable(m) ? { ...m, options: (m.options ?? []).filter((o) => o !== "ro") } : m));
  }
  // Containers made before --cgroupns existed have no mode: they get the default.
  if (hc.CgroupnsMode === "host") linux.namespaces = (linux.namespaces ?? []).filter((n) => n.type !== "cgroup");
  if (hc.NetworkMode === "host") {
    linux.namespaces = (linux.namespaces ?? []).filter((n) => n.type !== "network");
  }
  applyHostOptions(spec, hc, ctx.readFile, ctx.peers);
  return spec;
}

/** The spec's linux.cgroupsPath for a container: under its --cgroup-parent, else the engine's. */
export function cgroupsPathOf(id: string, cgroupParent: string | undefined, engineParent: string): string {
  return `${cgroupParent || engineParent}/${id}`;
}
