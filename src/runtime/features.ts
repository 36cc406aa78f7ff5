// The OCI runtime features document (runtime-spec features.md): what this runtime takes,
// read off the same tables the validator and the compiler use.
import { CAPABILITIES } from "./capabilities.js";
import { FLAG_OPTIONS, PROPAGATION_FLAGS } from "./mount-options.js";
import { SECCOMP_ARCHES } from "./seccomp-arch.js";
import { SECCOMP_ACTIONS, SECCOMP_FLAGS, SECCOMP_OPERATORS } from "./seccomp-validate.js";

export interface Features {
  ociVersionMin: string;
  ociVersionMax: string;
  hooks: string[];
  mountOptions: string[];
  linux: {
    namespaces: string[];
    capabilities: string[];
    cgroup: { v1: boolean; v2: boolean; systemd: boolean; systemdUser: boolean };
    seccomp: { enabled: boolean; actions: string[]; operators: string[]; archs: string[]; knownFlags: string[]; supportedFlags: string[] };
    apparmor: { enabled: boolean };
    selinux: { enabled: boolean };
  };
}

/** Namespaces a container may have (a user namespace only a new one, with its maps: see validate.ts). */
const NAMESPACES = ["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"];

export function runtimeFeatures(hooks: readonly string[]): Features {
  const flags = [...SECCOMP_FLAGS.keys()];
  return {
    ociVersionMin: "1.0.0",
    ociVersionMax: "1.1.0",
    hooks: [...hooks],
    mountOptions: [...FLAG_OPTIONS.keys(), ...PROPAGATION_FLAGS.keys()].sort(),
    linux: {
      namespaces: NAMESPACES,
      capabilities: [...CAPABILITIES.keys()],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false },
      seccomp: {
        enabled: true,
        actions: [...SECCOMP_ACTIONS],
        operators: [...SECCOMP_OPERATORS],
        archs: [...SECCOMP_ARCHES.keys()],
        knownFlags: flags,
        supportedFlags: flags,
      },
      apparmor: { enabled: true },
      selinux: { enabled: false },
    },
  };
}
