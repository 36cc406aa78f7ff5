// docker's --ipc, --pid and --uts: a namespace of the container's own, the host's, or
// another running container's.
import type { Namespace, NamespaceType } from "../../spec/runtime.js";
import { MydockerError } from "../../util/errors.js";
import type { ContainerRecord } from "../container-store.js";
import type { HostConfig } from "../container-config.js";

const IPC_MODES = new Set(["", "private", "shareable", "host"]);

function bad(flag: string, value: string, allowed: string): never {
  throw new MydockerError("EINVAL", `invalid ${flag} value "${value}": use ${allowed}`);
}

function container(mode: string): string | undefined {
  return mode.startsWith("container:") ? mode.slice("container:".length) : undefined;
}

/** Checked at create, as docker's daemon does; the mode is kept as given. */
export function checkNamespaceModes(o: { ipcMode?: string; pidMode?: string; utsMode?: string; hostname?: string; cgroupns?: string }): void {
  const cgroupns = o.cgroupns ?? "private";
  if (cgroupns !== "private" && cgroupns !== "host") throw new MydockerError("EINVAL", `invalid --cgroupns '${cgroupns}': use private or host`);
  const ipc = o.ipcMode ?? "";
  if (!IPC_MODES.has(ipc) && !container(ipc)) bad("--ipc", ipc, "private, shareable, host or container:NAME");
  const pid = o.pidMode ?? "";
  if (pid !== "" && pid !== "host" && !container(pid)) bad("--pid", pid, "host or container:NAME");
  const uts = o.utsMode ?? "";
  if (uts !== "" && uts !== "host") bad("--uts", uts, "host");
  if (uts === "host" && o.hostname) throw new MydockerError("EINVAL", "Conflicting options: hostname and the UTS mode");
}

/** What a container joining another's namespace is told about it (its pid: the record is up to date). */
export type PeerLookup = (query: string) => ContainerRecord;

/** The running container whose IPC namespace (and /dev/shm) this one shares, checked as docker does. */
export function ipcDonor(hc: HostConfig, peers: PeerLookup): ContainerRecord | undefined {
  const query = container(hc.IpcMode ?? "");
  if (query === undefined) return undefined;
  peerNamespace("ipc", query, peers);
  return peers(query);
}

function peerNamespace(kind: "ipc" | "pid", query: string, peers: PeerLookup): string {
  const peer = peers(query);
  if (peer.state.status !== "running" || peer.state.pid <= 0) {
    throw new MydockerError("ENOTRUNNING", `cannot join ${kind.toUpperCase()} of a non running container: ${query}`);
  }
  if (kind === "ipc" && peer.hostConfig.IpcMode !== "shareable" && peer.hostConfig.IpcMode !== "host") {
    throw new MydockerError("EINVAL", `cannot join IPC of container ${query}: non-shareable IPC (hint: use --ipc shareable for the donor container)`);
  }
  return `/proc/${peer.state.pid}/ns/${kind}`;
}

/**
 * The spec's namespaces for the container's modes: the host's is left out, another
 * container's is joined by its /proc path, looked up when the container starts (without
 * peers, for an exec or a copy, its own namespaces stay as they are).
 */
export function applyNamespaceModes(namespaces: readonly Namespace[], hc: HostConfig, peers: PeerLookup | undefined): Namespace[] {
  const modes: [NamespaceType, string][] = [
    ["ipc", hc.IpcMode ?? ""],
    ["pid", hc.PidMode ?? ""],
    ["uts", hc.UTSMode ?? ""],
  ];
  let out = [...namespaces];
  for (const [type, mode] of modes) {
    if (mode === "host") {
      out = out.filter((n) => n.type !== type);
      continue;
    }
    const query = container(mode);
    if (query === undefined || !peers) continue;
    const peer = peers(query);
    // A donor that runs in the host's namespace makes this one run there too.
    if (type === "ipc" && peer.hostConfig.IpcMode === "host") {
      out = out.filter((n) => n.type !== type);
      continue;
    }
    const nsPath = peerNamespace(type as "ipc" | "pid", query, peers);
    out = out.map((n) => (n.type === type ? { type, path: nsPath } : n));
  }
  return out;
}
