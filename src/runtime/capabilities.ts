// Capability names (as the OCI spec spells them) and their numbers.

const NAMES = [
  "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
  "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
  "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
  "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
  "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
  "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
] as const;

/** "CAP_CHOWN" -> 0, ... */
export const CAPABILITIES: ReadonlyMap<string, number> = new Map(NAMES.map((n, i) => [`CAP_${n}`, i]));

export function capabilityName(num: number): string | undefined {
  const n = NAMES[num];
  return n === undefined ? undefined : `CAP_${n}`;
}

/** The bit mask of a list of capability names (already validated). */
export function capabilityMask(names: readonly string[] | undefined): bigint {
  let mask = 0n;
  for (const name of names ?? []) {
    const num = CAPABILITIES.get(name);
    if (num === undefined) throw new Error(`unknown capability ${name}`);
    mask |= 1n << BigInt(num);
  }
  return mask;
}
