// docker inspect's HostConfig and Mounts: the record's settings under docker's field names
// and with docker's values (flat resources, Binds, Tmpfs), rather than the OCI forms the
// engine keeps them in.
import type { Mount } from "../spec/runtime.js";
import type { ContainerRecord } from "./container-store.js";

/** CPU period docker sets for --cpus (its NanoCpus): such a limit reads back as NanoCpus. */
const CPUS_PERIOD = 100_000;

/** The volume a mount's source is the data directory of (…/volumes/NAME/_data). */
function volumeOf(c: ContainerRecord, m: Mount): string | undefined {
  const parts = (m.source ?? "").split("/");
  const name = parts.at(-2);
  return parts.at(-1) === "_data" && parts.at(-3) === "volumes" && name !== undefined && c.hostConfig.Volumes.includes(name) ? name : undefined;
}

function isReadOnly(m: Mount): boolean {
  return (m.options ?? []).includes("ro");
}

/** docker's Mounts: each bind, volume and tmpfs the container has, as docker lists them. */
export function mountsView(c: ContainerRecord) {
  return c.hostConfig.Mounts.map((m) => {
    const volume = volumeOf(c, m);
    const type = m.type === "tmpfs" ? "tmpfs" : volume !== undefined ? "volume" : "bind";
    return {
      Type: type,
      Name: volume ?? "",
      Source: type === "tmpfs" ? "" : (m.source ?? ""),
      Destination: m.destination,
      Driver: volume !== undefined ? "local" : "",
      Mode: "",
      RW: !isReadOnly(m),
      Propagation: type === "bind" ? ((m.options ?? []).find((o) => /^r?(shared|slave|private)$/.test(o)) ?? "rprivate") : "",
    };
  });
}

export function hostConfigView(c: ContainerRecord) {
  const { Mounts, Volumes, Resources, Rootfs, ...rest } = c.hostConfig;
  const r = Resources ?? {};
  const nanoCpus = r.cpu?.period === CPUS_PERIOD && r.cpu.quota !== undefined && r.cpu.quota > 0 ? (r.cpu.quota * 1e9) / CPUS_PERIOD : 0;
  const binds = Mounts.filter((m) => m.type !== "tmpfs").map((m) => {
    const volume = volumeOf(c, m);
    return `${volume ?? m.source}:${m.destination}${isReadOnly(m) ? ":ro" : ""}`;
  });
  const tmpfs = Object.fromEntries(Mounts.filter((m) => m.type === "tmpfs").map((m) => [m.destination, (m.options ?? []).filter((o) => /^(size|mode)=/.test(o)).join(",")]));
  return {
    ...rest,
    CgroupnsMode: rest.CgroupnsMode ?? "private",
    Binds: binds.length ? binds : null,
    Tmpfs: Object.keys(tmpfs).length ? tmpfs : undefined,
    ContainerIDFile: "",
    VolumeDriver: "",
    Runtime: "runc",
    Memory: r.memory?.limit ?? 0,
    MemoryReservation: r.memory?.reservation ?? 0,
    MemorySwap: r.memory?.swap ?? 0,
    MemorySwappiness: r.memory?.swappiness ?? null,
    OomKillDisable: r.memory?.disableOOMKiller ?? false,
    NanoCpus: nanoCpus,
    CpuShares: r.cpu?.shares ?? 0,
    CpuPeriod: nanoCpus ? 0 : (r.cpu?.period ?? 0),
    CpuQuota: nanoCpus ? 0 : (r.cpu?.quota ?? 0),
    CpuRealtimePeriod: r.cpu?.realtimePeriod ?? 0,
    CpuRealtimeRuntime: r.cpu?.realtimeRuntime ?? 0,
    CpusetCpus: r.cpu?.cpus ?? "",
    CpusetMems: r.cpu?.mems ?? "",
    PidsLimit: r.pids?.limit ?? null,
    BlkioWeight: r.blockIO?.weight ?? 0,
    ...(Rootfs ? { Rootfs } : {}),
  };
}
