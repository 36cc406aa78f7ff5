// What callers of the runtime pass in and get back.
import type { Readable, Writable } from "node:stream";
import type { CgroupDriver } from "../cgroups/types.js";
import type { Process, Spec } from "../spec/runtime.js";
import type { MonitorRestart, PortForward, RootfsMount } from "./compile.js";
import type { ShimExit } from "./shim.js";
import type { ExitInfo, Restarts, StateRecord } from "./state.js";

export interface RuntimeOptions {
  /** Where container state directories live (e.g. /run/mydocker). */
  runRoot: string;
  shimPath?: string;
  /**
   * null: the runtime creates no cgroups (the container stays in the caller's). A function
   * is called on first use: a command that touches no cgroup (myrunc's start, state of a
   * created container) never looks for the host's cgroup mounts.
   */
  cgroups: CgroupDriver | null | (() => CgroupDriver | null);
  /** Fork shims from a long-lived launcher (see launcher.ts): for a caller that starts many. */
  launcher?: boolean;
  /**
   * Spawn a container's shim without a fork of this process (posix_spawn: fsat spawnShim)
   * when its stdio is ours: for a command line that starts one container and whose shims
   * end with their containers (myrunc), where the fork of a Node heap is a good part of a run.
   */
  vforkShims?: boolean;
  debug?: (msg: string) => void;
  /** Failures that do not fail the operation (poststart, poststop hooks); default: debug. */
  warn?: (msg: string) => void;
}

export interface RuntimeCreateOptions {
  /** root.path and bind sources are relative to it (default: the current directory). */
  bundle?: string;
  /** Mounted as the container's root (the engine's overlay) instead of binding root.path. */
  rootfsMount?: RootfsMount;
  /** The container's stdout/stderr in the CRI log format; without it they go nowhere (detached). */
  logPath?: string;
  logMaxBytes?: number;
  /** The log files kept in all when it rotates (default 2: the log and LOG.1); 1: it starts over. */
  logMaxFiles?: number;
  /** Run by the shim once the container has exited (e.g. the engine's cleanup). */
  exitCommand?: string[];
  /** Called while the container's init waits, before it runs any step: network setup etc. */
  onPid?: (pid: number) => Promise<void>;
  /** true: chroot, false: pivot_root; unset: the runtime's choice (pivot_root unless the host's root cannot be pivoted). */
  noPivot?: boolean;
  /** The monitor serves attach clients (see attachSocket). */
  attach?: boolean;
  /** With attach: the process's stdin is open for the clients' input. */
  openStdin?: boolean;
  /** The monitor runs the process again after it exits (docker --restart); see stopRestarts. */
  restart?: MonitorRestart;
  /** runc's contract (myrunc): no monitor stays; see Handoff. Not with logPath, attach, restart or exitCommand. */
  handoff?: Handoff;
  /** runc's --preserve-fds: our fds 3..3+N-1 are the process's 3..3+N-1 (no launcher then). */
  preserveFds?: number;
  /** The monitor runs this check in the container on its timer (docker's HEALTHCHECK); see Runtime.health. */
  health?: HealthCheck;
  /** Ports the monitor listens on (before the process runs) and forwards to the container; a taken one fails with PortInUseError. */
  publish?: readonly PortForward[];
}

/**
 * runc's contract: the container's process has the caller's stdio and, once set up, is
 * left to the caller, a subreaper that reaps it (containerd's shim, conmon). No monitor
 * stays, so no exit status is recorded: the container is stopped when its process is gone.
 */
export interface Handoff {
  /** Gets the process's host pid, in decimal without a newline. */
  pidFile?: string;
  /** With process.terminal: the pty master goes over this unix socket (SCM_RIGHTS). */
  consoleSocket?: string;
}

/** A health check: the process run in the container, and docker's timing and retries. */
export interface HealthCheck {
  process: Process;
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  retries: number;
}

export interface RunOptions extends RuntimeCreateOptions {
  /**
   * "inherit": the container uses the caller's stdio (or a pty proxied on it); "ignore": none;
   * "pipe": its stdout and stderr come to the caller as streams (the handle's output).
   */
  stdio: "inherit" | "ignore" | "pipe";
  /** false: the container's stdin is /dev/null even when stdio is "inherit" (docker without -i). */
  stdin?: boolean;
  /** Keep the state directory and cgroup after the exit (default: delete them, like `runc run`). */
  keepState?: boolean;
}

export interface ExecOptions {
  /** false: the process's stdin is /dev/null (docker exec without -i). */
  stdin?: boolean;
  /** Let the process run on its own: no stdio of the caller, nobody waits. */
  detach?: boolean;
  /** Also write the process's output to this CRI log file. */
  logPath?: string;
  /** runc's exec --detach: the process keeps the caller's stdio and is left to it (see Handoff). */
  handoff?: Handoff;
  /** runc's --preserve-fds: our fds 3..3+N-1 are the process's 3..3+N-1 (no launcher then). */
  preserveFds?: number;
  /** The process's stdio are pipes to the caller (the API's exec), not the caller's own. */
  pipe?: boolean;
  /** With detach: the monitor writes how the process ended here (see Runtime.execExitFile)… */
  exitFile?: string;
  /** …then runs this (the engine's record of the exit), whether or not the caller still runs. */
  exitCommand?: string[];
  /**
   * The monitor serves the process's stdio to attach clients on this socket instead of the
   * caller's stdio (docker exec -it, whose detach keys leave the process running); onPid
   * runs before the process does: a client connected then misses none of its output.
   */
  attach?: { socket: string; onPid: (pid: number) => Promise<void> };
}

/** A process the caller waits for. */
export interface ProcessHandle {
  /** Host pid of the process. */
  pid: number;
  shimPid: number;
  /** Resolves when it exited (for run: after the state was cleaned up, unless keepState). */
  wait(): Promise<ShimExit>;
  signal(sig: string | number): void;
  /** Lets the process run on without us: nobody waits for it any more (a detach). */
  release(): void;
  /** With stdio "pipe": the process's stdout and stderr. */
  output?: { stdout: Readable; stderr: Readable };
  /** With ExecOptions.pipe: the process's stdin, stdout and stderr (one stream with a terminal). */
  pipes?: { stdin: Writable; stdout: Readable; stderr: Readable };
}
export type RunHandle = ProcessHandle;

export interface RuntimeState extends StateRecord {
  exit?: ExitInfo;
  /** Set once the monitor restarted the process (RuntimeCreateOptions.restart). */
  restarts?: Restarts;
}

/** A process with piped stdio: a helper working on a container's files. */
export interface PipedProcess {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  wait(): Promise<ShimExit>;
}

/** Where a helper runs: inside a running container, or over a stopped container's files (noPivot as in RuntimeCreateOptions). */
export type HelperTarget = { id: string } | { spec: Spec; rootfsMount?: RootfsMount; noPivot?: boolean };
