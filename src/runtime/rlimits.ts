// RLIMIT_* names (as the OCI spec spells them) and their resource numbers.

export const RLIMITS: ReadonlyMap<string, number> = new Map(
  [
    "CPU", "FSIZE", "DATA", "STACK", "CORE", "RSS", "NPROC", "NOFILE", "MEMLOCK", "AS", "LOCKS",
    "SIGPENDING", "MSGQUEUE", "NICE", "RTPRIO", "RTTIME",
  ].map((n, i) => [`RLIMIT_${n}`, i]),
);
