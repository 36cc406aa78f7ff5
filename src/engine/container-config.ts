// The container's configuration in docker's shape (what `inspect` shows as Config and
// HostConfig), kept in the store. The OCI spec is derived from it at every start.
import type { LinuxResources, Mount } from "../spec/runtime.js";

export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  Env: string[];
  Cmd: string[];
  Entrypoint: string[] | null;
  Image: string;
  WorkingDir: string;
  Labels: Record<string, string>;
  StopSignal: string;
  StopTimeout: number | null;
  Tty: boolean;
  OpenStdin: boolean;
  /** docker's: an attached client's end of input closes the container's stdin (else it only ends that client's attach). */
  StdinOnce?: boolean;
  ExposedPorts: Record<string, Record<string, never>>;
  Volumes: Record<string, Record<string, never>>;
  /** The image's HEALTHCHECK with run's --health-* over it; absent: none. */
  Healthcheck?: HealthConfig;
}

/** docker's HealthConfig: durations in nanoseconds, 0 meaning "docker's default". */
export interface HealthConfig {
  /** [] inherit, ["NONE"] disabled, ["CMD", args...] or ["CMD-SHELL", command]. */
  Test: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

/** docker's --ulimit, as HostConfig.Ulimits holds it. */
export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

/** docker's --device, as HostConfig.Devices holds it. */
export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

/** docker's --log-driver and --log-opt. */
export interface LogConfig {
  Type: "json-file" | "local" | "none";
  Config: Record<string, string>;
}

export type CgroupnsMode = "private" | "host";

export interface RestartPolicy {
  Name: "no" | "on-failure" | "always" | "unless-stopped";
  MaximumRetryCount: number;
}

export interface HostConfig {
  AutoRemove: boolean;
  Privileged: boolean;
  CapAdd: string[];
  CapDrop: string[];
  Init: boolean;
  ReadonlyRootfs: boolean;
  /** OCI mounts derived from -v/--mount/--tmpfs (volumes resolved to their paths). */
  Mounts: Mount[];
  /** Names of the volumes the container mounts (anonymous ones are removed by rm -v). */
  Volumes: string[];
  RestartPolicy: RestartPolicy;
  LogConfig: LogConfig;
  /** bridge (the default network), none, host, container:NAME|ID, or a user network's name. */
  NetworkMode: string;
  /** -p: container port "80/tcp" → the host addresses and ports it is published on. */
  PortBindings?: Record<string, { HostIp: string; HostPort: string }[]>;
  /** -P: every exposed port on a random host port. */
  PublishAllPorts?: boolean;
  /** --dns, --dns-search, --dns-option: what /etc/resolv.conf says instead of the defaults. */
  Dns?: string[];
  DnsSearch?: string[];
  DnsOptions?: string[];
  /** --add-host HOST:IP lines of /etc/hosts (IP may be host-gateway). */
  ExtraHosts?: string[];
  CgroupParent: string;
  /** --cgroupns: "private" (a cgroup namespace of its own, the default on every host) or "host". */
  CgroupnsMode: CgroupnsMode;
  Resources: LinuxResources;
  OomScoreAdj: number;
  /** docker's --security-opt values as given; a seccomp profile as its JSON, as docker keeps it. */
  SecurityOpt: string[];
  /** A prepared root filesystem used instead of an image (`run --rootfs DIR`). */
  Rootfs: string;
  Ulimits: Ulimit[];
  /** Bytes of the container's /dev/shm (docker's default 64 MiB). */
  ShmSize: number;
  Devices: DeviceMapping[];
  /** docker's rules as given: `c 1:3 rwm`, `b *:* m`. */
  DeviceCgroupRules: string[];
  /** Extra groups (names of the container's /etc/group, or gids) of the container's process. */
  GroupAdd: string[];
  Sysctls: Record<string, string>;
  /** "private", "shareable", "host" or "container:NAME|ID". */
  IpcMode: string;
  /** "" (its own), "host" or "container:NAME|ID". */
  PidMode: string;
  /** "" (its own) or "host". */
  UTSMode: string;
  /** The containers whose mounts this one got at create, as given (NAME[:ro|:rw]). */
  VolumesFrom: string[];
}
