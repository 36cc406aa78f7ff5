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
  ExposedPorts: Record<string, Record<string, never>>;
  Volumes: Record<string, Record<string, never>>;
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
  LogMaxSize: number;
  NetworkMode: string;
  CgroupParent: string;
  /** --cgroupns: "private" (a cgroup namespace of its own, the default on every host) or "host". */
  CgroupnsMode: CgroupnsMode;
  Resources: LinuxResources;
  OomScoreAdj: number;
  /** docker's --security-opt values as given; a seccomp profile as its JSON, as docker keeps it. */
  SecurityOpt: string[];
  /** A prepared root filesystem used instead of an image (`run --rootfs DIR`). */
  Rootfs: string;
}
