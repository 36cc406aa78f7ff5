// The host options of `docker run` (ulimits, /dev/shm, devices, groups, sysctls and the
// ipc/pid/uts modes) applied to the container's OCI spec at each start.
import type { Mount, Spec } from "../../spec/runtime.js";
import type { HostConfig } from "../container-config.js";
import { resolveGroups } from "../user.js";
import { deviceCgroupRule, mappedDevices } from "./devices.js";
import { applyNamespaceModes, type PeerLookup } from "./namespaces.js";
import { ulimitRlimits } from "./ulimits.js";

/** docker's /dev/shm when --shm-size is not given. */
export const DEFAULT_SHM_SIZE = 64 * 2 ** 20;

function shmMount(m: Mount, hc: HostConfig): Mount {
  // With the host's IPC namespace, the host's /dev/shm too, as docker.
  if (hc.IpcMode === "host") return { destination: "/dev/shm", type: "bind", source: "/dev/shm", options: ["rbind", "nosuid", "noexec", "nodev"] };
  const size = hc.ShmSize || DEFAULT_SHM_SIZE;
  return { ...m, options: [...(m.options ?? []).filter((o) => !o.startsWith("size=")), `size=${size}`] };
}

export function applyHostOptions(spec: Spec, hc: HostConfig, readFile: (p: string) => string | undefined, peers: PeerLookup | undefined): void {
  const process = spec.process!;
  const linux = spec.linux!;
  if (hc.Ulimits?.length) process.rlimits = ulimitRlimits(hc.Ulimits, process.rlimits ?? []);
  const extraGids = resolveGroups(hc.GroupAdd ?? [], readFile);
  if (extraGids.length && process.user) {
    process.user.additionalGids = [...new Set([...(process.user.additionalGids ?? []), ...extraGids])];
  }
  spec.mounts = (spec.mounts ?? []).map((m) => (m.destination === "/dev/shm" ? shmMount(m, hc) : m));
  for (const d of hc.Devices ?? []) {
    const { devices, rules } = mappedDevices(d);
    linux.devices = [...(linux.devices ?? []), ...devices];
    linux.resources = { ...linux.resources, devices: [...(linux.resources?.devices ?? []), ...rules] };
  }
  const rules = (hc.DeviceCgroupRules ?? []).map(deviceCgroupRule);
  if (rules.length) linux.resources = { ...linux.resources, devices: [...(linux.resources?.devices ?? []), ...rules] };
  if (hc.Sysctls && Object.keys(hc.Sysctls).length) linux.sysctl = { ...linux.sysctl, ...hc.Sysctls };
  linux.namespaces = applyNamespaceModes(linux.namespaces ?? [], hc, peers);
  if (hc.UTSMode === "host") delete spec.hostname;
}
