// docker's ContainerCreateRequest (Config + HostConfig + NetworkingConfig) turned into the
// engine's CreateOptions. The -v/--mount/--tmpfs and resource values go through the same
// parsers as the command line's flags, so both refuse the same things with the same words.
import type { CreateOptions } from "../../engine/run-options.js";
import { resourcesFromFlags, oomScoreAdjFromFlags, type ResourceFlags } from "../../engine/resource-flags.js";
import { parseMountFlag, parseTmpfsFlag, parseVolumeFlag, type VolumeSpec } from "../../engine/volumes/volume-flags.js";
import type { DeviceMapping, HealthConfig, LogConfig, RestartPolicy, Ulimit } from "../../engine/container-config.js";
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
}

export interface ApiCreateRequest extends ApiContainerConfig {
  HostConfig?: ApiHostConfig;
  NetworkingConfig?: { EndpointsConfig?: Record<string, { Aliases?: string[] | null } | null> | null };
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
  const name = p?.Name ?? "";
  if (name === "" || name === "no") return undefined;
  if (name !== "on-failure" && name !== "always" && name !== "unless-stopped") {
    throw new ApiError(400, `invalid restart policy '${name}': use no, on-failure, always or unless-stopped`);
  }
  return { Name: name, MaximumRetryCount: p?.MaximumRetryCount ?? 0 };
}

/** docker's LogConfig: json-file (the default), local or none, with their options as given. */
function logConfig(c: ApiHostConfig["LogConfig"]): LogConfig | undefined {
  const type = c?.Type ?? "";
  if (type === "") return undefined;
  if (type !== "json-file" && type !== "local" && type !== "none") throw new ApiError(400, `log driver ${type} is not supported: use json-file, local or none`);
  return { Type: type, Config: c?.Config ?? {} };
}

/** NetworkMode: docker's clients send "default" when no --network was given; the engine's default is bridge. */
function network(mode: string | undefined): string | undefined {
  return mode === undefined || mode === "" || mode === "default" ? undefined : mode;
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
  if (hc.KernelMemory) throw new ApiError(400, "KernelMemory is not supported: kernel memory limits are gone from cgroup v2 and deprecated in docker; use Memory");
  if (hc.DeviceRequests?.length) throw new ApiError(400, "DeviceRequests (--gpus) are not supported: mydocker has no GPU support");
  const volumes: VolumeSpec[] = [
    ...(hc.Binds ?? []).map(parseVolumeFlag),
    ...(hc.Mounts ?? []).map(mountSpec),
    ...Object.entries(hc.Tmpfs ?? {}).map(([target, opts]) => parseTmpfsFlag(opts ? `${target}:${opts}` : target)),
    ...Object.keys(body.Volumes ?? {}).map(parseVolumeFlag),
  ];
  const cgroupns = hc.CgroupnsMode;
  if (cgroupns !== undefined && cgroupns !== "" && cgroupns !== "private" && cgroupns !== "host") {
    throw new ApiError(400, `invalid CgroupnsMode '${cgroupns}': use private or host`);
  }
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
    autoRemove: hc.AutoRemove,
    readOnly: hc.ReadonlyRootfs,
    init: hc.Init ?? undefined,
    labels: body.Labels ?? {},
    volumes,
    resources: resourcesFromFlags(resources),
    oomScoreAdj: oomScoreAdjFromFlags(resources),
    restart: restartPolicy(hc.RestartPolicy),
    logConfig: logConfig(hc.LogConfig),
    cgroupParent: hc.CgroupParent || undefined,
    cgroupns: cgroupns === "" ? undefined : (cgroupns as CreateOptions["cgroupns"]),
    stopSignal: body.StopSignal || undefined,
    stopTimeout: body.StopTimeout ?? undefined,
    network: network(hc.NetworkMode),
    ports: portSpecs(hc.PortBindings),
    publishAll: hc.PublishAllPorts,
    expose: Object.keys(body.ExposedPorts ?? {}),
    networkAliases: Object.values(body.NetworkingConfig?.EndpointsConfig ?? {}).flatMap((e) => e?.Aliases ?? []),
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
