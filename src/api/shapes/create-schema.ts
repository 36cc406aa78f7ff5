// The Go types dockerd decodes container bodies into, checked field by field against the
// TypeScript shapes in create.ts (ContainerConfigWrapper for create, Config for commit,
// UpdateConfig for update).
import type { DeviceMapping, HealthConfig, Ulimit } from "../../engine/container-config.js";
import { anyValue, bool, dict, emptyObject, int, list, str, strSlice, struct, type Shape } from "./check.js";
import type { ApiContainerConfig, ApiCreateRequest, ApiEndpoint, ApiHostConfig, ApiMount } from "./create.js";

const strings = list(str, "string");
const labels = dict(str, "string");
const int64 = int("int64");

const mount = struct<ApiMount>("Mount", {
  Type: str,
  Source: str,
  Target: str,
  ReadOnly: bool,
  BindOptions: struct("BindOptions", { Propagation: str, NonRecursive: bool }),
  VolumeOptions: struct("VolumeOptions", { NoCopy: bool, Labels: labels }),
  TmpfsOptions: struct("TmpfsOptions", { SizeBytes: int64, Mode: int("uint32") }),
});

const ulimit = struct<Ulimit>("Ulimit", { Name: str, Soft: int64, Hard: int64 });
const device = struct<DeviceMapping>("DeviceMapping", { PathOnHost: str, PathInContainer: str, CgroupPermissions: str });
const healthcheck = struct<HealthConfig>("HealthConfig", { Test: strings, Interval: int64, Timeout: int64, StartPeriod: int64, Retries: int("int") });

export const hostConfigShape: Shape<ApiHostConfig> = {
  Binds: strings,
  Mounts: list(mount, "mount.Mount"),
  Tmpfs: labels,
  AutoRemove: bool,
  Privileged: bool,
  CapAdd: strings,
  CapDrop: strings,
  Init: bool,
  ReadonlyRootfs: bool,
  RestartPolicy: struct("RestartPolicy", { Name: str, MaximumRetryCount: int("int") }),
  LogConfig: struct("LogConfig", { Type: str, Config: labels }),
  NetworkMode: str,
  CgroupParent: str,
  CgroupnsMode: str,
  Memory: int64,
  MemorySwap: int64,
  MemoryReservation: int64,
  NanoCpus: int64,
  CpuShares: int64,
  CpuPeriod: int64,
  CpuQuota: int64,
  CpusetCpus: str,
  CpusetMems: str,
  PidsLimit: int64,
  BlkioWeight: int("uint16"),
  OomScoreAdj: int("int"),
  SecurityOpt: strings,
  PortBindings: dict(list(struct("PortBinding", { HostIp: str, HostPort: str }), "nat.PortBinding"), "[]nat.PortBinding"),
  PublishAllPorts: bool,
  MemorySwappiness: int64,
  OomKillDisable: bool,
  KernelMemory: int64,
  Ulimits: list(ulimit, "*units.Ulimit"),
  ShmSize: int64,
  Devices: list(device, "container.DeviceMapping"),
  DeviceCgroupRules: strings,
  DeviceRequests: list(anyValue, "container.DeviceRequest"),
  GroupAdd: strings,
  Sysctls: labels,
  IpcMode: str,
  PidMode: str,
  UTSMode: str,
  VolumesFrom: strings,
  Dns: strings,
  DnsSearch: strings,
  DnsOptions: strings,
  ExtraHosts: strings,
  Links: strings,
  UsernsMode: str,
  Runtime: str,
  Isolation: str,
  VolumeDriver: str,
  StorageOpt: labels,
  CpuRealtimePeriod: int64,
  CpuRealtimeRuntime: int64,
  BlkioWeightDevice: list(anyValue, "*blkiodev.WeightDevice"),
  BlkioDeviceReadBps: list(anyValue, "*blkiodev.ThrottleDevice"),
  BlkioDeviceWriteBps: list(anyValue, "*blkiodev.ThrottleDevice"),
  BlkioDeviceReadIOps: list(anyValue, "*blkiodev.ThrottleDevice"),
  BlkioDeviceWriteIOps: list(anyValue, "*blkiodev.ThrottleDevice"),
};

export const containerConfigShape: Shape<ApiContainerConfig> = {
  Hostname: str,
  Domainname: str,
  User: str,
  Tty: bool,
  OpenStdin: bool,
  StdinOnce: bool,
  Env: strings,
  Cmd: strSlice,
  Entrypoint: strSlice,
  Image: str,
  Volumes: dict(emptyObject, "struct {}"),
  WorkingDir: str,
  Labels: labels,
  StopSignal: str,
  StopTimeout: int("int"),
  ExposedPorts: dict(emptyObject, "struct {}"),
  Healthcheck: healthcheck,
  MacAddress: str,
};

const endpoint = struct<ApiEndpoint>("EndpointSettings", {
  Aliases: strings,
  IPAMConfig: struct("EndpointIPAMConfig", { IPv4Address: str, IPv6Address: str }),
  MacAddress: str,
  Links: strings,
});

export const createShape: Shape<ApiCreateRequest> = {
  ...containerConfigShape,
  HostConfig: struct("HostConfig", hostConfigShape),
  NetworkingConfig: struct("NetworkingConfig", { EndpointsConfig: dict(endpoint, "*network.EndpointSettings") }),
};
