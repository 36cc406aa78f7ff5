// The plan: the flat list of primitive steps the C shim executes (docs/plan.md).
// Everything here is data; the decisions are made in compile.ts.

export type MkdirMode = "dir" | "file" | "none";

/** The mount(2) call that hides a masked path (an empty source or fstype is passed as NULL). */
interface MaskMount {
  source: string;
  fstype: string;
  flags: number;
}

export type MonitorStep =
  | { op: "clone"; flags: number }
  | { op: "userns"; path: string }
  | { op: "pidns"; path: string }
  | { op: "clonecgroup"; path: string }
  | { op: "sync" }
  | { op: "tty" }
  /** maxFiles: the files kept in all when it rotates (default 2: the log and LOG.1). */
  | { op: "log"; path: string; maxBytes: number; maxFiles?: number; lineMax: number }
  | { op: "drain"; ms: number }
  | { op: "pidfile"; path: string }
  | { op: "exitfile"; path: string }
  | { op: "sigforward"; signals: number[] }
  | { op: "exitcmd"; argv: string[] }
  | { op: "detach" }
  | { op: "attach"; path: string; maxClients: number; backlogBytes: number; flushMs: number }
  | { op: "stdinpipe" }
  | { op: "handoff" }
  | { op: "preservefds"; count: number }
  /** The forwarder's limits (with publish): TCP connections and UDP flows at once, a UDP flow's idle time. */
  | { op: "forwarding"; maxConns: number; maxFlows: number; udpIdleMs: number; flowSharePct: number }
  /** A port the monitor listens on in the host's network namespace, forwarded to the container's address. */
  | { op: "publish"; protocol: "tcp" | "udp"; hostIp: string; hostPort: number; containerIp: string; containerPort: number }
  | { op: "consolesocket"; path: string }
  | { op: "restart"; onFailureOnly: boolean; maxCount: number; delayMs: number; maxDelayMs: number; runsFile: string }
  | { op: "restartcmd"; argv: string[] }
  | { op: "health"; intervalMs: number; timeoutMs: number; startPeriodMs: number; retries: number; statusFile: string; pidFile: string; argv: string[] };

export type ChildStep =
  | { op: "hookpause" }
  | { op: "timens"; monotonic: [string, string]; boottime: [string, string] }
  | { op: "consolesize"; rows: number; cols: number }
  | { op: "apparmor"; profile: string }
  | { op: "setns"; nstype: number; path: string }
  | { op: "cgroupjoin"; path: string }
  | { op: "unshare"; flags: number }
  | {
      op: "mount";
      source: string;
      root: string;
      path: string;
      fstype: string;
      flags: number;
      data: string;
      mkdir: MkdirMode;
    }
  /** A bind of SOURCE as the mount namespace NS (another process's /proc/PID/ns/mnt) sees it: mount(2) refuses that. */
  | { op: "bindfrom"; ns: string; source: string; recursive: boolean; root: string; path: string; mkdir: MkdirMode }
  /** An overlay made with fsopen/fsconfig/fsmount/move_mount: one lowerdir+ per layer, topmost first. */
  | { op: "overlay"; target: string; upper: string; work: string; lower: string[] }
  | { op: "mknod"; root: string; path: string; mode: number; major: number; minor: number; uid: number; gid: number }
  | { op: "symlink"; target: string; root: string; path: string }
  | { op: "pivot_root"; root: string }
  | { op: "chroot"; root: string }
  | { op: "mask"; path: string; dir: MaskMount; file: MaskMount }
  | { op: "readonly"; path: string }
  | { op: "loopback" }
  | { op: "hostname"; name: string }
  | { op: "domainname"; name: string }
  | { op: "sysctl"; key: string; value: string }
  | { op: "oomscoreadj"; value: number }
  | { op: "rlimit"; resource: number; soft: bigint; hard: bigint }
  | { op: "setsid" }
  | { op: "console"; consolePath: string }
  | { op: "execfifo"; path: string }
  | { op: "hostexec"; path: string }
  | { op: "bounding"; mask: bigint; lastCap: number }
  | { op: "user"; uid: number; gid: number; additionalGids: number[] }
  | { op: "caps"; effective: bigint; permitted: bigint; inheritable: bigint; ambient: bigint }
  | { op: "nonewprivs" }
  | { op: "keyring" }
  | { op: "seccomp"; flags: number; words: readonly string[] }
  | { op: "umask"; mask: number }
  | { op: "chdir"; dir: string }
  | { op: "env"; entry: string }
  | { op: "exec"; searchPath: string; argv: string[] };

export type PlanStep = MonitorStep | ChildStep;
export type Plan = PlanStep[];

/** A step of a later runtime command, run by `mydocker-shim --lifecycle` (lifecycle-plan.ts). */
export type LifecycleStep =
  | { op: "awaitstart"; fifo: string; pid: number; startTime: string }
  | { op: "gone"; pid: number; startTime: string }
  | { op: "rmdir"; path: string }
  | { op: "cleardir"; path: string };

function args(step: PlanStep | LifecycleStep): string[] {
  switch (step.op) {
    case "awaitstart":
      return [step.fifo, String(step.pid), step.startTime];
    case "gone":
      return [String(step.pid), step.startTime];
    case "rmdir":
    case "cleardir":
      return [step.path];
    case "clone":
      return [String(step.flags)];
    case "userns":
    case "pidns":
    case "clonecgroup":
    case "pidfile":
    case "exitfile":
    case "readonly":
    case "execfifo":
    case "hostexec":
    case "cgroupjoin":
    case "consolesocket":
      return [step.path];
    case "mask":
      return [step.path, ...[step.dir, step.file].flatMap((m) => [m.source, m.fstype, String(m.flags)])];
    case "attach":
      return [step.path, String(step.maxClients), String(step.backlogBytes), String(step.flushMs)];
    case "drain":
      return [String(step.ms)];
    case "preservefds":
      return [String(step.count)];
    case "forwarding":
      return [String(step.maxConns), String(step.maxFlows), String(step.udpIdleMs), String(step.flowSharePct)];
    case "publish":
      return [step.protocol, step.hostIp, String(step.hostPort), step.containerIp, String(step.containerPort)];
    case "timens":
      return [...step.monotonic, ...step.boottime];
    case "consolesize":
      return [String(step.rows), String(step.cols)];
    case "apparmor":
      return [step.profile];
    case "sync":
    case "hookpause":
    case "stdinpipe":
    case "handoff":
    case "tty":
    case "detach":
    case "setsid":
    case "nonewprivs":
    case "keyring":
    case "loopback":
      return [];
    case "log":
      return [step.path, String(step.maxBytes), String(step.maxFiles ?? 2), String(step.lineMax)];
    case "restart":
      return [step.onFailureOnly ? "1" : "0", String(step.maxCount), String(step.delayMs), String(step.maxDelayMs), step.runsFile];
    case "health":
      return [String(step.intervalMs), String(step.timeoutMs), String(step.startPeriodMs), String(step.retries), step.statusFile, step.pidFile, ...step.argv];
    case "sigforward":
      return step.signals.map(String);
    case "exitcmd":
    case "restartcmd":
      return step.argv;
    case "setns":
      return [String(step.nstype), step.path];
    case "unshare":
      return [String(step.flags)];
    case "mount":
      return [step.source, step.root, step.path, step.fstype, String(step.flags), step.data, step.mkdir];
    case "bindfrom":
      return [step.ns, step.source, step.root, step.path, step.recursive ? "1" : "0", step.mkdir];
    case "overlay":
      return [step.target, step.upper, step.work, ...step.lower];
    case "mknod":
      return [step.root, step.path, String(step.mode), String(step.major), String(step.minor), String(step.uid), String(step.gid)];
    case "symlink":
      return [step.target, step.root, step.path];
    case "pivot_root":
    case "chroot":
      return [step.root];
    case "hostname":
    case "domainname":
      return [step.name];
    case "sysctl":
      return [step.key, step.value];
    case "oomscoreadj":
      return [String(step.value)];
    case "rlimit":
      return [String(step.resource), step.soft.toString(), step.hard.toString()];
    case "bounding":
      return [step.mask.toString(), String(step.lastCap)];
    case "user":
      return [String(step.uid), String(step.gid), ...step.additionalGids.map(String)];
    case "caps":
      return [step.effective, step.permitted, step.inheritable, step.ambient].map((m) => m.toString());
    case "umask":
      return [String(step.mask)];
    case "seccomp":
      // Two decimal numbers per struct sock_filter: CODE*65536 + JT*256 + JF, then K.
      return [String(step.flags), ...step.words];
    case "chdir":
      return [step.dir];
    case "console":
      return [step.consolePath];
    case "env":
      return [step.entry];
    case "exec":
      return [step.searchPath, ...step.argv];
  }
}

/** Encodes a plan (or a lifecycle plan) in the wire format of docs/plan.md. */
export function encodePlan(plan: Plan | LifecycleStep[]): Buffer {
  // Joined into one string, made into bytes once: a seccomp filter alone is ~1300 fields.
  const fields: string[] = [];
  for (const step of plan) {
    if (step.op === "seccomp") {
      fields.push(seccompRecord(step));
      continue;
    }
    const a = args(step);
    fields.push(step.op, String(a.length));
    if (a.length === 0) continue;
    if (a.some((x) => x.includes("\0"))) throw new Error(`plan step ${step.op}: an argument contains a NUL byte`);
    fields.push(a.join("\0"));
  }
  fields.push("");
  return Buffer.from(fields.join("\0"));
}

/** The seccomp record, made once per filter (a daemon gives most containers the same one, seccomp-state.ts). */
const seccompRecords = new WeakMap<readonly string[], { flags: number; record: string }>();

function seccompRecord(step: Extract<PlanStep, { op: "seccomp" }>): string {
  const kept = seccompRecords.get(step.words);
  if (kept?.flags === step.flags) return kept.record;
  const a = args(step);
  if (a.some((x) => x.includes("\0"))) throw new Error("plan step seccomp: an argument contains a NUL byte");
  const record = [step.op, String(a.length), a.join("\0")].join("\0");
  seccompRecords.set(step.words, { flags: step.flags, record });
  return record;
}

/** Frames an encoded plan for the control socket: `LENGTH\n` then the bytes. */
export function framePlan(plan: Plan): Buffer {
  const body = encodePlan(plan);
  return Buffer.concat([Buffer.from(`${body.length}\n`), body]);
}
