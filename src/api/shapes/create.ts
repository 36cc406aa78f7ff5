// docker's ContainerCreateRequest (Config + HostConfig + NetworkingConfig) turned into the
// engine's CreateOptions. The -v/--mount/--tmpfs and resource values go through the same
// parsers as the command line's flags, so both refuse the same things with the same words.
import type { CreateOptions } from "../../engine/run-options.js";
import { resourcesFromFlags, oomScoreAdjFromFlags, type ResourceFlags } from "../../engine/resource-flags.js";
import { parseMountFlag, parseTmpfsFlag, parseVolumeFlag, type VolumeSpec } from "../../engine/volumes/volume-flags.js";
import { imageVolumeSpecs } from "../../engine/volumes/volume-mounts.js";
import type { CgroupnsMode, DeviceMapping, HealthConfig, RestartPolicy, Ulimit } from "../../engine/container-config.js";
import { restartPolicyOf } from "../../engine/containers/restart-policy.js";
import { logConfigFromFlags } from "../../engine/host-options/log-config.js";
import { ApiError } from "../http.js";

export interface ApiMount {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string> };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

export interface ApiHostConfig {
  Binds?: string[] | null;
  Mounts?: ApiMount[] | null;
  Tmpfs?: Record<string, string> | null;
  AutoRemove?: boolean;
  Privileged?: boolean;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  Init?: boolean | null;
  ReadonlyRootfs?: boolean;
  RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
  LogConfig?: { Type?: string; Config?: Record<string, string> };
  NetworkMode?: string;
  CgroupParent?: string;
  CgroupnsMode?: string;
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  NanoCpus?: number;
  CpuShares?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  PidsLimit?: number | null;
  BlkioWeight?: number;
  OomScoreAdj?: number;
  SecurityOpt?: string[] | null;
  PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
  PublishAllPorts?: boolean;
  MemorySwappiness?: number | null;
  OomKillDisable?: boolean | null;
  KernelMemory?: number;
  Ulimits?: Ulimit[] | null;
  ShmSize?: number;
  Devices?: DeviceMapping[] | null;
  DeviceCgroupRules?: string[] | null;
  DeviceRequests?: unknown[] | null;
  GroupAdd?: string[] | null;
  Sysctls?: Record<string, string> | null;
  IpcMode?: string;
  PidMode?: string;
  UTSMode?: string;
  VolumesFrom?: string[] | null;
  Dns?: string[] | null;
  DnsSearch?: string[] | null;
  DnsOptions?: string[] | null;
  ExtraHosts?: string[] | null;
  Links?: string[] | null;
  UsernsMode?: string;
  Runtime?: string;
  Isolation?: string;
  VolumeDriver?: string;
  StorageOpt?: Record<string, string> | null;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  BlkioWeightDevice?: unknown[] | null;
  BlkioDeviceReadBps?: unknown[] | null;
  BlkioDeviceWriteBps?: unknown[] | null;
  BlkioDeviceReadIOps?: unknown[] | null;
  BlkioDeviceWriteIOps?: unknown[] | null;
}

export interface ApiContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | string | null;
  Entrypoint?: string[] | string | null;
  Image?: string;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number | null;
  ExposedPorts?: Record<string, object> | null;
  Healthcheck?: HealthConfig | null;
  /** Before API 1.44 --mac-address came here; since, in the network's endpoint. */
  MacAddress?: string;
}

export interface ApiEndpoint {
  Aliases?: string[] | null;
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } | null;
  MacAddress?: string;
  Links?: string[] | null;
}

export interface ApiCreateRequest extends ApiContainerConfig {
  HostConfig?: ApiHostConfig;
  NetworkingConfig?: { EndpointsConfig?: Record<string, ApiEndpoint | null> | null };
}

const list = (v: string[] | string | null | undefined): string[] | undefined => (v === null || v === undefined ? undefined : Array.isArray(v) ? v : [v]);
const positive = (n: number | undefined | null): number | undefined => (n ? n : undefined);

/** A --mount given as docker's object: written the way the flag is, which refuses the same mistakes. */
function mountSpec(m: ApiMount): VolumeSpec {
  const fields: string[] = [`type=${m.Type ?? "volume"}`];
  if (m.Source) fields.push(`source=${m.Source}`);
  if (m.Target) fields.push(`target=${m.Target}`);
  if (m.ReadOnly) fields.push("readonly");
  if (m.BindOptions?.Propagation) fields.push(`bind-propagation=${m.BindOptions.Propagation}`);
  if (m.BindOptions?.NonRecursive) fields.push("bind-nonrecursive");
  if (m.VolumeOptions?.NoCopy) fields.push("volume-nocopy");
  for (const [k, v] of Object.entries(m.VolumeOptions?.Labels ?? {})) fields.push(`volume-label=${k}=${v}`);
  if (m.TmpfsOptions?.SizeBytes) fields.push(`tmpfs-size=${m.TmpfsOptions.SizeBytes}`);
  if (m.TmpfsOptions?.Mode) fields.push(`tmpfs-mode=${m.TmpfsOptions.Mode.toString(8)}`);
  // A comma in a value would read as another field: such a value is refused, not split.
  if (fields.some((f) => f.includes(","))) throw new ApiError(400, `invalid mount ${JSON.stringify(m)}: a comma in a mount's value is not supported`);
  return parseMountFlag(fields.join(","));
}

function restartPolicy(p: ApiHostConfig["RestartPolicy"]): RestartPolicy | undefined {
  const policy = restartPolicyOf(p?.Name ?? "", p?.MaximumRetryCount);
  return policy.Name === "no" ? undefined : policy;
}

/** What docker's daemon can be asked for and mydocker does not do: refused by name, never ignored. */
function refuseUnsupported(hc: ApiHostConfig): void {
  const refuse = (what: string, why: string) => {
    throw new ApiError(400, `${what} is not supported: ${why}`);
  };
  if (hc.KernelMemory) refuse("KernelMemory", "kernel memory limits are gone from cgroup v2 and deprecated in docker; use Memory");
  if (hc.DeviceRequests?.length) refuse("DeviceRequests (--gpus)", "mydocker has no GPU support");
  if (hc.Links?.length) refuse("Links (--link)", "put the containers on a user network (docker network create), where they reach each other by name");
  if (hc.UsernsMode && hc.UsernsMode !== "host") refuse(`UsernsMode ${hc.UsernsMode} (--userns)`, "containers run in the host's user namespace");
  if (hc.Runtime && hc.Runtime !== "runc" && hc.Runtime !== "mydocker") refuse(`Runtime ${hc.Runtime} (--runtime)`, "mydocker runs containers with its own runtime");
  if (hc.Isolation && hc.Isolation !== "default") refuse(`Isolation ${hc.Isolation}`, "only the default isolation exists on Linux");
  if (hc.VolumeDriver && hc.VolumeDriver !== "local") refuse(`VolumeDriver ${hc.VolumeDriver}`, "volumes are local directories");
  if (Object.keys(hc.StorageOpt ?? {}).length) refuse("StorageOpt (--storage-opt)", "the overlay storage takes no per-container options");
  if (hc.CpuRealtimePeriod || hc.CpuRealtimeRuntime) refuse("CpuRealtimePeriod/CpuRealtimeRuntime", "real-time CPU scheduling limits are not set by mydocker");
  for (const key of ["BlkioWeightDevice", "BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps"] as const) {
    if (hc[key]?.length) refuse(`${key} (--blkio-weight-device, --device-read/write-bps/iops)`, "per-device block I/O limits are not set by mydocker; use BlkioWeight");
  }
}

/** The networks asked for: NetworkMode first, then the other endpoints (docker 25+ sends every --network there). */
function networks(body: ApiCreateRequest): { network?: string | string[]; ip?: string; mac?: string; aliases: string[] } {
  // docker's clients say "default" (or nothing) for the engine's default network, bridge.
  const named = (n: string | undefined): n is string => n !== undefined && n !== "" && n !== "default";
  const mode = body.HostConfig?.NetworkMode;
  const endpoints = body.NetworkingConfig?.EndpointsConfig ?? {};
  const names = [...new Set([mode, ...Object.keys(endpoints)].filter(named))];
  const main = endpoints[mode ?? ""] ?? endpoints[names[0] ?? ""] ?? undefined;
  if (Object.values(endpoints).some((e) => e?.Links?.length)) throw new ApiError(400, "Links (--link) is not supported: put the containers on a user network, where they reach each other by name");
  if (Object.values(endpoints).some((e) => e?.IPAMConfig?.IPv6Address)) throw new ApiError(400, "IPv6Address (--ip6) is not supported: mydocker's networks are IPv4");
  return {
    network: names.length > 1 ? names : names[0],
    ip: main?.IPAMConfig?.IPv4Address || undefined,
    mac: main?.MacAddress || body.MacAddress || undefined,
    aliases: Object.values(endpoints).flatMap((e) => e?.Aliases ?? []),
  };
}

/** PortBindings {"80/tcp": [{HostIp, HostPort}]} as -p specs; HostPort "0" or none: a free port. */
function portSpecs(bindings: ApiHostConfig["PortBindings"]): string[] {
  return Object.entries(bindings ?? {}).flatMap(([port, hosts]) =>
    (hosts?.length ? hosts : [{}]).map((h) => [h.HostIp, h.HostPort === "0" ? "" : (h.HostPort ?? ""), port].filter((x, i) => i > 0 || x).join(":")),
  );
}

/** docker's `--entrypoint ""` arrives as [""]: the image's entrypoint cleared. */
function entrypoint(v: ApiContainerConfig["Entrypoint"]): string[] | undefined {
  const e = list(v);
  return e && e.length === 1 && e[0] === "" ? [] : e;
}

export function createOptions(name: string | undefined, body: ApiCreateRequest): CreateOptions {
  const hc = body.HostConfig ?? {};
  if (!body.Image) throw new ApiError(400, "Config.Image is required: name the image to create the container from");
  const resources: ResourceFlags = {
    memory: positive(hc.Memory),
    memorySwap: hc.MemorySwap ? hc.MemorySwap : undefined,
    memoryReservation: positive(hc.MemoryReservation),
    cpus: hc.NanoCpus ? hc.NanoCpus / 1e9 : undefined,
    cpuShares: positive(hc.CpuShares),
    cpuPeriod: positive(hc.CpuPeriod),
    cpuQuota: positive(hc.CpuQuota),
    cpusetCpus: hc.CpusetCpus || undefined,
    cpusetMems: hc.CpusetMems || undefined,
    pidsLimit: hc.PidsLimit ? hc.PidsLimit : undefined,
    blkioWeight: positive(hc.BlkioWeight),
    oomScoreAdj: hc.OomScoreAdj ? hc.OomScoreAdj : undefined,
    memorySwappiness: hc.MemorySwappiness ?? undefined,
    oomKillDisable: hc.OomKillDisable ?? undefined,
  };
  refuseUnsupported(hc);
  const net = networks(body);
  const mounted: VolumeSpec[] = [
    ...(hc.Binds ?? []).map(parseVolumeFlag),
    ...(hc.Mounts ?? []).map(mountSpec),
    ...Object.entries(hc.Tmpfs ?? {}).map(([target, opts]) => parseTmpfsFlag(opts ? `${target}:${opts}` : target)),
  ];
  // Config.Volumes names paths in the container only (never "SRC:DEST"); a path a bind or
  // mount also names is that mount (docker-compose sends every service volume in both).
  const bad = Object.keys(body.Volumes ?? {}).find((p) => !p.startsWith("/") || p.includes(":"));
  if (bad !== undefined) throw new ApiError(400, `invalid volume ${JSON.stringify(bad)} in Volumes: an absolute path in the container`);
  const volumes = [...mounted, ...imageVolumeSpecs(body.Volumes ?? undefined, mounted)];
  return {
    image: body.Image,
    cmd: list(body.Cmd) ?? [],
    entrypoint: entrypoint(body.Entrypoint),
    name: name || undefined,
    hostname: body.Hostname || undefined,
    domainname: body.Domainname || undefined,
    env: body.Env ?? [],
    workdir: body.WorkingDir || undefined,
    user: body.User || undefined,
    capAdd: hc.CapAdd ?? [],
    capDrop: hc.CapDrop ?? [],
    privileged: hc.Privileged,
    tty: body.Tty,
    interactive: body.OpenStdin,
    stdinOnce: body.StdinOnce,
    autoRemove: hc.AutoRemove,
    readOnly: hc.ReadonlyRootfs,
    init: hc.Init ?? undefined,
    labels: body.Labels ?? {},
    volumes,
    resources: resourcesFromFlags(resources),
    oomScoreAdj: oomScoreAdjFromFlags(resources),
    restart: restartPolicy(hc.RestartPolicy),
    logConfig: hc.LogConfig?.Type ? logConfigFromFlags(hc.LogConfig.Type, Object.entries(hc.LogConfig.Config ?? {}).map(([k, v]) => `${k}=${v}`)) : undefined,
    cgroupParent: hc.CgroupParent || undefined,
    cgroupns: (hc.CgroupnsMode || undefined) as CgroupnsMode | undefined,
    stopSignal: body.StopSignal || undefined,
    stopTimeout: body.StopTimeout ?? undefined,
    network: net.network,
    ip: net.ip,
    macAddress: net.mac,
    dns: { servers: hc.Dns ?? [], search: hc.DnsSearch ?? [], options: hc.DnsOptions ?? [] },
    addHosts: hc.ExtraHosts ?? [],
    ports: portSpecs(hc.PortBindings),
    publishAll: hc.PublishAllPorts,
    expose: Object.keys(body.ExposedPorts ?? {}),
    networkAliases: net.aliases,
    securityOpt: hc.SecurityOpt ?? [],
    ulimits: hc.Ulimits ?? undefined,
    shmSize: positive(hc.ShmSize),
    devices: hc.Devices ?? undefined,
    deviceCgroupRules: hc.DeviceCgroupRules ?? undefined,
    groupAdd: hc.GroupAdd ?? undefined,
    sysctls: hc.Sysctls ?? undefined,
    ipcMode: hc.IpcMode || undefined,
    pidMode: hc.PidMode || undefined,
    utsMode: hc.UTSMode || undefined,
    volumesFrom: hc.VolumesFrom ?? undefined,
    healthcheck: body.Healthcheck ?? undefined,
  };
}
