// Docker's defaults: what a container gets when nobody asks for anything else.
import type { Device, DeviceCgroupRule, Mount, Spec } from "../spec/runtime.js";

export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Docker's default capabilities (CapEff 00000000a80425fb for root). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

export const DEFAULT_MASKED_PATHS: readonly string[] = [
  "/proc/asound",
  "/proc/acpi",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
];

export const DEFAULT_READONLY_PATHS: readonly string[] = [
  "/proc/bus",
  "/proc/fs",
  "/proc/irq",
  "/proc/sys",
  "/proc/sysrq-trigger",
];

export function defaultMounts(): Mount[] {
  return [
    { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
    },
    { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
    // The container's own cgroups (the runtime mounts each hierarchy), read-only as docker has them.
    { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"] },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
  ];
}

/** The devices every container gets (OCI config-linux "Default Devices"). */
export function defaultDevices(): Device[] {
  const dev = (name: string, major: number, minor: number): Device => ({
    type: "c",
    path: `/dev/${name}`,
    major,
    minor,
    fileMode: 0o666,
    uid: 0,
    gid: 0,
  });
  return [dev("null", 1, 3), dev("zero", 1, 5), dev("full", 1, 7), dev("random", 1, 8), dev("urandom", 1, 9), dev("tty", 5, 0)];
}

/** Device cgroup rules that let the default devices and the pty devices work. */
export function defaultDeviceRules(): DeviceCgroupRule[] {
  // An absent major/minor means "any", as in docker's JSON.
  const allow = (type: "c" | "b", major: number | null, minor: number | null, access: string): DeviceCgroupRule => ({
    allow: true,
    type,
    ...(major === null ? {} : { major }),
    ...(minor === null ? {} : { minor }),
    access,
  });
  return [
    allow("c", null, null, "m"),
    allow("b", null, null, "m"),
    ...defaultDevices().map((d) => allow("c", d.major ?? 0, d.minor ?? 0, "rwm")),
    allow("c", 136, null, "rwm"), // /dev/pts/*
    allow("c", 5, 1, "rwm"), // /dev/console
    allow("c", 5, 2, "rwm"), // /dev/ptmx
    allow("c", 10, 200, "rwm"), // /dev/net/tun
  ];
}

/** Like `runc spec`, but with docker's defaults. */
export function defaultSpec(): Spec {
  return {
    ociVersion: "1.0.2",
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ["sh"],
      env: [`PATH=${DEFAULT_PATH}`, "TERM=xterm"],
      cwd: "/",
      capabilities: {
        bounding: [...DEFAULT_CAPABILITIES],
        effective: [...DEFAULT_CAPABILITIES],
        permitted: [...DEFAULT_CAPABILITIES],
      },
      noNewPrivileges: false,
    },
    root: { path: "rootfs", readonly: false },
    hostname: "mydocker",
    mounts: defaultMounts(),
    linux: {
      // A cgroup namespace on every host, v1 and hybrid included (docker: only on v2; podman, runc spec: always).
      namespaces: [{ type: "pid" }, { type: "network" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }, { type: "cgroup" }],
      resources: { devices: [{ allow: false, access: "rwm" }, ...defaultDeviceRules()] },
      maskedPaths: [...DEFAULT_MASKED_PATHS],
      readonlyPaths: [...DEFAULT_READONLY_PATHS],
    },
  };
}
