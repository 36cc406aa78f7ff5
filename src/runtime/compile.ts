// spec -> plan: every decision about how a container is made, as data (docs/plan.md).
// Pure: whatever it needs from the host comes in through the options.
import path from "node:path";
import type { CgroupHierarchy } from "../cgroups/types.js";
import type { Hook, Namespace, NamespaceType, Process, Spec, TimeOffset } from "../spec/runtime.js";
import type { ChildStep, MonitorStep, Plan } from "./plan.js";
import { filesOnlySteps, filesystemSteps, lockdownSteps, type RootfsMount } from "./compile-rootfs.js";
import { finalSteps, rlimitSteps, sessionSteps } from "./compile-process.js";
import * as L from "./linux.js";
import { compileSeccomp, type SeccompFilter } from "./seccomp-compile.js";

export type { RootfsMount } from "./compile-rootfs.js";

/** How the monitor runs the process: what it records and where output goes. */
export interface MonitorOptions {
  /** /proc/sys/kernel/cap_last_cap of the running kernel. */
  lastCap: number;
  /** The host has AppArmor enabled: the process gets its apparmorProfile (else, as runc, none). */
  appArmor?: boolean;
  /** The child waits after `pid` until the caller says `go`: the caller has work to do first. */
  sync?: boolean;
  /** Setsid and let go of the caller's stdio (a container that outlives its caller). */
  detach?: boolean;
  /** maxBytes 0: never rotated; maxFiles: the files kept in all (1: the log starts over). */
  log?: { path: string; maxBytes: number; maxFiles?: number };
  pidFile?: string;
  exitFile?: string;
  exitCommand?: string[];
  /** Signals the monitor passes on to the process. */
  forwardSignals?: number[];
  /** The monitor serves attach clients on a unix socket here. */
  attachSocket?: string;
  /** The process's stdin stays open for attach clients (docker -i of a detached container). */
  openStdin?: boolean;
  /** The monitor runs the process again after it exits, as this asks; each restart is noted in runsFile. */
  restart?: MonitorRestart & { runsFile: string };
  /** Files the child writes "0" to before anything else, to move itself into its cgroup (v1 `tasks`, v2 `cgroup.procs`). */
  cgroupJoin?: string[];
  /** A cgroup2 directory the child is born in (clone3 CLONE_INTO_CGROUP), rather than moved to. */
  cloneCgroup?: string;
  /**
   * runc's contract: once the child waits for start (or, without an exec FIFO, exec'd) the
   * monitor ends and leaves it to the caller, a subreaper that reaps it (containerd's shim,
   * conmon); its pty master goes to consoleSocket.
   */
  handoff?: { consoleSocket?: string };
  /** runc's --preserve-fds: the caller's fds 3..3+N-1, given to the shim at 4 and on, reach the process at 3 and on. */
  preserveFds?: number;
  /** The monitor runs a health check on its timer (docs/plan.md, `health`). */
  health?: MonitorHealth;
  /** Ports the monitor listens on in the host's network namespace and forwards to the container (docker-proxy's job). */
  publish?: readonly PortForward[];
}

/** One published port: HOSTIP:HOSTPORT on the host, forwarded to CONTAINERIP:CONTAINERPORT. */
export interface PortForward {
  protocol: "tcp" | "udp";
  /** "0.0.0.0": every address of the host's. */
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

/** docker's health check, as the monitor carries it out. */
export interface MonitorHealth {
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  retries: number;
  /** The monitor writes the status and the last results here. */
  statusFile: string;
  /** The running check's pid (its plan's pidfile): killed when it runs out of time. */
  pidFile: string;
  /** Run with its working directory at the container's /proc/PID: the shim with the check's plan. */
  argv: string[];
}

/** docker's --restart, as the monitor carries it out. */
export interface MonitorRestart {
  /** on-failure: only after a non-zero exit; else (always, unless-stopped) after any. */
  onFailureOnly: boolean;
  /** Restarts at most this many times; 0: no limit. */
  maxCount: number;
  /** Run by the monitor at each restart: with `die EXITCODE UNIX_NANOS` appended when a run ended, `start UNIX_NANOS` when the next began. */
  command?: string[];
}

/** A log line longer than this is written as partial lines (CRI `P`), as CRI-O and containerd split at 16 KiB. */
const LOG_LINE_MAX = 16 * 1024;
/**
 * After the process exited, its output is copied until it pauses this long: background
 * processes outside a PID namespace may hold the pipes open, and the exit must not wait for them.
 */
const DRAIN_MS = 100;
/** Attach clients served at once; one more is refused at once. */
const ATTACH_MAX_CLIENTS = 8;
/**
 * Output an attach client may fall behind by before it is dropped: a client that reads
 * never blocks the monitor, the container or the other clients, and one that keeps up
 * (a terminal, a pipe) never comes near this.
 */
const ATTACH_BACKLOG_BYTES = 4 << 20;
/** At the end, how long the attach clients get to take the output still queued for them. */
const ATTACH_FLUSH_MS = 5000;

/**
 * The forwarder's bounds: connections and UDP flows at once (its tables are made before the
 * container starts; a client past them waits in the listen backlog, and a new UDP client
 * takes the place of the longest idle one), and docker-proxy's 90 s for an idle UDP flow.
 * Upper bounds: the monitor fits them to the fds its RLIMIT_NOFILE leaves (6 a connection,
 * 1 a flow), so these only cap a monitor with many fds.
 */
const FORWARD_MAX_CONNS = 16384;
const FORWARD_MAX_FLOWS = 16384;
const FORWARD_UDP_IDLE_MS = 90_000;
/** With TCP and UDP published, the share (percent) of the monitor's fds UDP flows may take: a flood of UDP clients leaves TCP the rest. */
const FORWARD_FLOW_SHARE_PCT = 50;

/** docker's back-off: 100 ms before the first restart, doubling, reset by a run of 10 s. */
const RESTART_DELAY_MS = 100;
const RESTART_MAX_DELAY_MS = 10_000;

export interface CompileOptions extends MonitorOptions {
  /** The bundle directory: root.path and bind sources are relative to it. */
  bundle: string;
  rootfsMount?: RootfsMount;
  /** chroot instead of pivot_root (a rootfs on a ramfs, where pivot_root cannot work). */
  noPivot?: boolean;
  /** OCI create: the child waits on this FIFO before exec. */
  execFifo?: string;
  /** The container's cgroup in each of the host's hierarchies (for its /sys/fs/cgroup). */
  cgroupHierarchies?: readonly CgroupHierarchy[];
  /** linux.seccomp compiled already (the runtime keeps compiled filters); else it is compiled here. */
  seccomp?: SeccompFilter;
  /** Whether a bind source is a file or a directory (default: directory). */
  sourceKind?: (hostPath: string) => "file" | "dir";
  /**
   * The child waits for the caller's hooks (`hookpause`): "create" after its mounts, before
   * pivot_root (prestart, createRuntime, createContainer); "start" also once set up, before
   * its credentials and exec (startContainer of a run, which has no start).
   */
  hookPauses?: { create: boolean; start: boolean };
}

const CLONE_FLAGS: Record<NamespaceType, number> = {
  pid: L.CLONE_NEWPID,
  network: L.CLONE_NEWNET,
  mount: L.CLONE_NEWNS,
  ipc: L.CLONE_NEWIPC,
  uts: L.CLONE_NEWUTS,
  user: L.CLONE_NEWUSER,
  cgroup: L.CLONE_NEWCGROUP,
  time: L.CLONE_NEWTIME,
};

/**
 * Joining order: the user namespace first (the others are its to enter then), the mount
 * namespace last, since entering it changes what the other paths mean.
 */
const JOIN_ORDER: readonly NamespaceType[] = ["user", "ipc", "uts", "network", "cgroup", "time", "mount"];

/** /proc/PID/ns/ file names. */
const NS_FILES: Record<NamespaceType, string> = {
  pid: "pid",
  network: "net",
  mount: "mnt",
  ipc: "ipc",
  uts: "uts",
  user: "user",
  cgroup: "cgroup",
  time: "time",
};

function monitorSteps(o: MonitorOptions, terminal: boolean): MonitorStep[] {
  const steps: MonitorStep[] = o.sync ? [{ op: "sync" }] : [];
  if (o.detach) steps.push({ op: "detach" });
  if (terminal) steps.push({ op: "tty" });
  if (o.log) steps.push({ op: "log", path: o.log.path, maxBytes: o.log.maxBytes, maxFiles: o.log.maxFiles, lineMax: LOG_LINE_MAX });
  if (o.log || terminal) steps.push({ op: "drain", ms: DRAIN_MS });
  if (o.attachSocket) {
    steps.push({ op: "attach", path: o.attachSocket, maxClients: ATTACH_MAX_CLIENTS, backlogBytes: ATTACH_BACKLOG_BYTES, flushMs: ATTACH_FLUSH_MS });
  }
  if (o.openStdin) steps.push({ op: "stdinpipe" });
  if (o.restart) {
    const { onFailureOnly, maxCount, runsFile, command } = o.restart;
    steps.push({ op: "restart", onFailureOnly, maxCount, runsFile, delayMs: RESTART_DELAY_MS, maxDelayMs: RESTART_MAX_DELAY_MS });
    if (command?.length) steps.push({ op: "restartcmd", argv: command });
  }
  if (o.pidFile) steps.push({ op: "pidfile", path: o.pidFile });
  if (o.exitFile) steps.push({ op: "exitfile", path: o.exitFile });
  if (o.forwardSignals?.length) steps.push({ op: "sigforward", signals: o.forwardSignals });
  if (o.exitCommand?.length) steps.push({ op: "exitcmd", argv: o.exitCommand });
  if (o.handoff) steps.push({ op: "handoff" });
  if (o.handoff?.consoleSocket && terminal) steps.push({ op: "consolesocket", path: o.handoff.consoleSocket });
  if (o.health) steps.push({ op: "health", ...o.health });
  if (o.preserveFds) steps.push({ op: "preservefds", count: o.preserveFds });
  if (o.publish?.length) {
    steps.push({ op: "forwarding", maxConns: FORWARD_MAX_CONNS, maxFlows: FORWARD_MAX_FLOWS, udpIdleMs: FORWARD_UDP_IDLE_MS, flowSharePct: FORWARD_FLOW_SHARE_PCT });
    for (const p of o.publish) steps.push({ op: "publish", ...p });
  }
  return steps;
}

function joinSteps(joined: readonly Namespace[], pathOf: (n: Namespace) => string): ChildStep[] {
  return JOIN_ORDER.flatMap((type): ChildStep[] => {
    const ns = joined.find((n) => n.type === type);
    return ns ? [{ op: "setns", nstype: CLONE_FLAGS[type], path: pathOf(ns) }] : [];
  });
}

/** First of all, and before a new cgroup namespace: its root is the cgroup the child is in then. */
function joinCgroupSteps(o: MonitorOptions): ChildStep[] {
  return (o.cgroupJoin ?? []).map((file): ChildStep => ({ op: "cgroupjoin", path: file }));
}

function requireProcess(spec: { process?: Process }): Process {
  if (!spec.process) throw new Error("compile: the spec has no process");
  return spec.process;
}

/** A new time namespace with the spec's clock offsets (none: 0). */
function timeStep(spec: Spec): ChildStep {
  const offset = (t: TimeOffset | undefined): [string, string] => [String(t?.secs ?? 0), String(t?.nanosecs ?? 0)];
  return { op: "timens", monotonic: offset(spec.linux?.timeOffsets?.monotonic), boottime: offset(spec.linux?.timeOffsets?.boottime) };
}

/** The plan of a new container (OCI create, or run). */
export function compile(spec: Spec, o: CompileOptions): Plan {
  const process = requireProcess(spec);
  const namespaces = spec.linux?.namespaces ?? [];
  const fresh = namespaces.filter((n) => n.path === undefined);
  const joined = namespaces.filter((n) => n.path !== undefined);
  const pidJoin = joined.find((n) => n.type === "pid");
  // The cgroup namespace is made after the caller has put the child in its cgroup; the time
  // namespace by the child (clone has no room for its flag, and its offsets come first).
  const cloneFlags = fresh.filter((n) => n.type !== "cgroup" && n.type !== "time").reduce((f, n) => f | CLONE_FLAGS[n.type], 0);

  const userJoin = joined.find((n) => n.type === "user");
  const monitor: MonitorStep[] = [{ op: "clone", flags: cloneFlags }];
  if (userJoin?.path) monitor.push({ op: "userns", path: userJoin.path });
  if (pidJoin?.path) monitor.push({ op: "pidns", path: pidJoin.path });
  if (o.cloneCgroup) monitor.push({ op: "clonecgroup", path: o.cloneCgroup });
  monitor.push(...monitorSteps(o, process.terminal === true));

  const child: ChildStep[] = joinCgroupSteps(o);
  if (o.execFifo) child.push({ op: "execfifo", path: o.execFifo });
  // Born in a user namespace (its own, or one the monitor joined), the child is still the
  // host's root, which is no one there: it becomes the namespace's root (its maps are
  // written by now) before it makes anything.
  if (namespaces.some((n) => n.type === "user")) child.push({ op: "user", uid: 0, gid: 0, additionalGids: [] });
  child.push(...joinSteps(joined.filter((n) => n.type !== "user"), (n) => n.path as string));
  if (fresh.some((n) => n.type === "cgroup")) child.push({ op: "unshare", flags: L.CLONE_NEWCGROUP });
  if (fresh.some((n) => n.type === "time")) child.push(timeStep(spec));
  if (fresh.some((n) => n.type === "network")) child.push({ op: "loopback" });
  child.push(
    ...filesystemSteps(spec, {
      root: path.resolve(o.bundle, spec.root?.path ?? "rootfs"),
      bundle: o.bundle,
      rootfsMount: o.rootfsMount,
      noPivot: o.noPivot,
      cgroupHierarchies: o.cgroupHierarchies,
      sourceKind: o.sourceKind ?? (() => "dir"),
    }),
  );
  if (o.hookPauses?.create) {
    // After the mounts, before the root switch (runtime-spec: createRuntime, createContainer).
    const at = child.findIndex((s) => s.op === "pivot_root" || s.op === "chroot");
    child.splice(at < 0 ? child.length : at, 0, { op: "hookpause" });
  }
  child.push(...sessionSteps(process, "/dev/console"));
  if (spec.hostname) child.push({ op: "hostname", name: spec.hostname });
  if (spec.domainname) child.push({ op: "domainname", name: spec.domainname });
  for (const [key, value] of Object.entries(spec.linux?.sysctl ?? {})) child.push({ op: "sysctl", key, value });
  child.push(...lockdownSteps(spec));
  if (process.oomScoreAdj !== undefined) child.push({ op: "oomscoreadj", value: process.oomScoreAdj });
  const sc = spec.linux?.seccomp;
  const seccomp = sc ? (o.seccomp ?? compileSeccomp(sc)) : undefined;
  if (o.hookPauses?.start) child.push({ op: "hookpause" });
  child.push(...rlimitSteps(process), ...finalSteps(process, o.lastCap, seccomp, o.appArmor));
  return [...monitor, ...child];
}

/** What exec needs to know about the running container. */
export interface ExecTarget {
  /** Host pid of the container's init. */
  pid: number;
  /** The namespaces the container has apart from the host's (new or joined). */
  namespaces: readonly NamespaceType[];
  /** The container's seccomp filter: its processes all run under it. */
  seccomp?: SeccompFilter;
  /**
   * Where its namespaces are found (default /proc/PID). A health check's plan says ".":
   * the monitor starts it in the container's /proc/PID, whichever run that is.
   */
  procDir?: string;
}

/** The plan of a process started inside a running container: its namespaces, no mounts, no pivot. */
export function compileExec(target: ExecTarget, process: Process, o: MonitorOptions): Plan {
  const nsPath = (type: NamespaceType) => `${target.procDir ?? `/proc/${target.pid}`}/ns/${NS_FILES[type]}`;
  const monitor: MonitorStep[] = [{ op: "clone", flags: 0 }];
  if (target.namespaces.includes("pid")) monitor.push({ op: "pidns", path: nsPath("pid") });
  if (o.cloneCgroup) monitor.push({ op: "clonecgroup", path: o.cloneCgroup });
  monitor.push(...monitorSteps(o, process.terminal === true));
  const joined = target.namespaces.map((type): Namespace => ({ type }));
  return [
    ...monitor,
    ...joinCgroupSteps(o),
    ...joinSteps(joined, (n) => nsPath(n.type)),
    ...sessionSteps(process, ""),
    ...rlimitSteps(process),
    ...finalSteps(process, o.lastCap, target.seccomp, o.appArmor),
  ];
}

/**
 * An OCI hook run in a container's namespaces (createContainer, startContainer): PATH found
 * on the host before joining (hostPath: the view before pivot_root, where the host's files
 * are) or in the container's root, with the hook's args and env alone, stdin the state.
 */
export function compileHook(target: ExecTarget, hook: Hook, where: "host" | "container"): Plan {
  const nsPath = (type: NamespaceType) => `/proc/${target.pid}/ns/${NS_FILES[type]}`;
  const argv = hook.args?.length ? hook.args : [hook.path];
  const steps: Plan = [{ op: "clone", flags: 0 }];
  if (target.namespaces.includes("pid")) steps.push({ op: "pidns", path: nsPath("pid") });
  if (where === "host") steps.push({ op: "hostexec", path: hook.path });
  steps.push(...joinSteps(target.namespaces.map((type): Namespace => ({ type })), (n) => nsPath(n.type)), { op: "chdir", dir: "/" });
  for (const e of hook.env ?? []) steps.push({ op: "env", entry: e });
  // Without hostexec the file is the first word: the hook's own argv[0] cannot differ from its path there.
  steps.push({ op: "exec", searchPath: "", argv: where === "host" ? argv : [hook.path, ...argv.slice(1)] });
  return steps;
}

/** A static host program run over a container's files (cp's tar): opened on the host, exec'd inside. */
export interface HelperProgram {
  /** Host path of a statically linked program (it runs where the host's libraries are not). */
  program: string;
  argv: string[];
}

function helperSteps(h: HelperProgram): ChildStep[] {
  return [{ op: "chdir", dir: "/" }, { op: "exec", searchPath: "", argv: h.argv }];
}

/** The helper inside a running container's mount namespace: the container's own view, volumes included. */
export function compileHelperIn(pid: number, h: HelperProgram): Plan {
  return [
    { op: "clone", flags: 0 },
    { op: "hostexec", path: h.program },
    { op: "setns", nstype: L.CLONE_NEWNS, path: `/proc/${pid}/ns/mnt` },
    ...helperSteps(h),
  ];
}

/** The helper over a stopped container: its root and volumes mounted in a mount namespace of the helper's own. */
export function compileHelperOver(spec: Spec, o: Pick<CompileOptions, "bundle" | "rootfsMount" | "noPivot" | "sourceKind">, h: HelperProgram): Plan {
  return [
    { op: "clone", flags: L.CLONE_NEWNS },
    { op: "hostexec", path: h.program },
    ...filesOnlySteps(spec, {
      root: path.resolve(o.bundle, spec.root?.path ?? "rootfs"),
      bundle: o.bundle,
      rootfsMount: o.rootfsMount,
      noPivot: o.noPivot,
      sourceKind: o.sourceKind ?? (() => "dir"),
    }),
    ...helperSteps(h),
  ];
}
