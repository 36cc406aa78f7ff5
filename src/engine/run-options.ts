// What a caller (the CLI or a Node program) asks for when it creates a container.
import type { LinuxResources, Mount } from "../spec/runtime.js";
import type { CgroupnsMode, DeviceMapping, HealthConfig, LogConfig, RestartPolicy, Ulimit } from "./container-config.js";
import type { VolumeSpec } from "./volumes/volume-flags.js";
import type { DnsOptions } from "./networks/etc-files.js";

/** docker's --pull: pull always, when the image is missing, or never. */
export type PullPolicy = "always" | "missing" | "never";

export interface CreateOptions {
  /** Image reference (`busybox`, `docker.io/library/busybox:latest`, an id prefix). */
  image?: string;
  /** A prepared root filesystem directory, used instead of an image. */
  rootfs?: string;
  /** Command (replaces the image's Cmd). Travels as an array, never joined. */
  cmd?: string[];
  /** Replaces the image's Entrypoint ([] clears it). */
  entrypoint?: string[];
  name?: string;
  hostname?: string;
  domainname?: string;
  env?: string[];
  workdir?: string;
  user?: string;
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  tty?: boolean;
  interactive?: boolean;
  /** docker's StdinOnce (run -i without -d): with interactive, an attached client's end of input closes the container's stdin. */
  stdinOnce?: boolean;
  autoRemove?: boolean;
  readOnly?: boolean;
  init?: boolean;
  labels?: Record<string, string>;
  /** Extra OCI mounts, as they are. */
  mounts?: Mount[];
  /** -v, --mount and --tmpfs requests: volumes are created and filled at create. */
  volumes?: VolumeSpec[];
  resources?: LinuxResources;
  oomScoreAdj?: number;
  /** docker's --security-opt: "no-new-privileges", "seccomp=unconfined", "seccomp=<the profile's JSON>" (docs/security.md). */
  securityOpt?: string[];
  cgroupParent?: string;
  /** docker's --cgroupns (default "private"). */
  cgroupns?: CgroupnsMode;
  restart?: RestartPolicy;
  /** docker's --log-driver and --log-opt (default json-file, no rotation). */
  logConfig?: LogConfig;
  /** --network: "bridge" (the default), "none", "host", "container:NAME|ID", or a network's name or id. */
  network?: string | string[];
  /** -p specs: `[IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp]`, ports or ranges. */
  ports?: string[];
  /** -P: publish every exposed port on a random host port. */
  publishAll?: boolean;
  /** --expose: container ports or ranges, `PORT[/PROTO]`. */
  expose?: string[];
  /** --ip on the container's network (user networks only). */
  ip?: string;
  /** --mac-address on the container's network. */
  macAddress?: string;
  /** --network-alias: more names the container answers to on a user network. */
  networkAliases?: string[];
  /** --dns, --dns-search, --dns-option. */
  dns?: DnsOptions;
  /** --add-host: `HOST:IP` (IP may be `host-gateway`, the host's address on the container's network). */
  addHosts?: string[];
  stopSignal?: string;
  stopTimeout?: number;
  ulimits?: Ulimit[];
  /** Bytes of /dev/shm (docker's default 64 MiB). */
  shmSize?: number;
  devices?: DeviceMapping[];
  deviceCgroupRules?: string[];
  groupAdd?: string[];
  sysctls?: Record<string, string>;
  /** docker's --ipc: private (default), shareable, host, container:NAME. */
  ipcMode?: string;
  /** docker's --pid: host or container:NAME. */
  pidMode?: string;
  /** docker's --uts: host. */
  utsMode?: string;
  /** Containers whose mounts this one gets: NAME[:ro|:rw]. */
  volumesFrom?: string[];
  /** docker's --pull: when to pull the image (missing by default). */
  pull?: PullPolicy;
  /** os[/arch[/variant]] the image must be made for. */
  platform?: string;
  /** Replaces the image's HEALTHCHECK field by field (docker's --health-*); Test ["NONE"] disables it. */
  healthcheck?: HealthConfig;
}
