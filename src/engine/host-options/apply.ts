// The host options of `docker run` (ulimits, /dev/shm, devices, groups, sysctls and the
// ipc/pid/uts modes) applied to the container's OCI spec at each start.
import type { Mount, Spec } from "../../spec/runtime.js";
import type { HostConfig } from "../container-config.js";
import { resolveGroups } from "../user.js";
import { deviceCgroupRule, mappedDevices } from "./devices.js";
import { applyNamespaceModes, ipcDonor, type PeerLookup } from "./namespaces.js";
import { ulimitRlimits } from "./ulimits.js";

/** docker's /dev/shm when --shm-size is not given. */
export const DEFAULT_SHM_SIZE = 64 * 2 ** 20;

function shmBind(source: string): Mount {
  return { destination: "/dev/shm", type: "bind", source, options: ["rbind", "nosuid", "noexec", "nodev"] };
}

/**
 * With the host's IPC namespace, the host's /dev/shm, and with another container's, that
 * container's (its own mount namespace's, through its /proc/PID/root), as docker. Without
 * peers (an exec, a copy), the spec's mount is left as it is.
 */
function shmMount(m: Mount, hc: HostConfig, peers: PeerLookup | undefined): Mount {
  if (hc.IpcMode === "host") return shmBind("/dev/shm");
  const donor = peers && ipcDonor(hc, peers);
  if (donor) return donor.hostConfig.IpcMode === "host" ? shmBind("/dev/shm") : shmBind(`/proc/${donor.state.pid}/root/dev/shm`);
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
  spec.mounts = (spec.mounts ?? []).map((m) => (m.destination === "/dev/shm" ? shmMount(m, hc, peers) : m));
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
