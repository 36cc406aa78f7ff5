// Runs native/mydocker-shim: sends it a plan on fd 3 and follows the line protocol
// of docs/plan.md (pid, ready, exec, error, exit; go).
import { spawn, type ChildProcess } from "node:child_process";
import { Socket } from "node:net";
import { PassThrough, type Duplex, type Readable, type Writable } from "node:stream";
import { MydockerError } from "../util/errors.js";
import { spawnShim } from "../util/fsat.js";
import { waitReaped } from "../util/run-piped.js";
import { LAUNCH_DEADLINE_MS, type Launcher } from "./launcher.js";
import { framePlan, type Plan } from "./plan.js";
import { parseStepFailure, stepFailureError } from "./shim-errors.js";
import { shimMissing } from "./shim-binary.js";
import { signalNumber } from "./signals.js";

export interface ShimExit {
  /** The exit status, 128+N when killed by signal N. */
  exitCode: number;
  /** The signal that killed the process, else 0. */
  signal: number;
}

interface ShimOptions {
  shimPath: string;
  /** The shim's fds 0-2: the caller's own (foreground), nothing (a detached container) or pipes (a helper). */
  stdio: "inherit" | "ignore" | "pipe";
  /** false: the container reads /dev/null, not the caller's stdin (docker run without -i). */
  stdin?: boolean;
  /** Our fds 3..3+N-1, passed to the shim at 4 and on (after its control socket); not with a launcher. */
  extraFds?: number;
  /** Runs while the child waits (after `pid`, before `go`): network, say. Only with a plan that has `sync`. */
  onPid?: (pid: number) => Promise<void>;
  /** Runs at each `hookpause` of the plan (the first is 0) while the child waits for `go`. */
  onHooks?: (pid: number, pause: number) => Promise<void>;
  /** Fork the shim from this launcher rather than spawning it (not with stdio "pipe"). */
  launcher?: Launcher;
  /**
   * Spawn the shim without a fork of this process (posix_spawn) when its stdio is ours
   * ("inherit") or nothing ("ignore") and it gets no extra fds. Nothing but this reaps it, once
   * its control socket closes, and a released one (a detached container's monitor) not at
   * all: only for a process that ends soon after (a command line), whose orphans the system
   * reaps.
   */
  vfork?: boolean;
  /** How long the launcher may take to say `shim PID` (default LAUNCH_DEADLINE_MS). */
  launchDeadlineMs?: number;
  debug?: (msg: string) => void;
}

type Milestone = "shim" | "ready" | "exec";

export class Shim {
  /** Resolves when the shim process ends. */
  readonly exited: Promise<ShimExit>;
  private readonly child: ChildProcess | undefined;
  /** With stdio "pipe": the process's stdout and stderr, read from the spawn on (see held). */
  private readonly held: { stdout: Readable; stderr: Readable } | undefined;
  private readonly control: Duplex;
  private forkedPid: number | undefined;
  /** The launcher's word on how a forked shim ended (its waitpid status). */
  private statusLine: ShimExit | undefined;
  private plan: Plan = [];
  private readonly debug: (msg: string) => void;
  private containerPid: number | undefined;
  private reached = new Set<Milestone>();
  private failure: Error | undefined;
  private exitLine: ShimExit | undefined;
  private waiters: (() => void)[] = [];
  private done = false;
  /** release()d: the shim lives on without us. */
  private released = false;
  private buffered = "";
  private pauses = 0;

  /** Starts a shim, which then waits for its plan (sendPlan); resolves once its pid is known. */
  static async start(o: ShimOptions): Promise<Shim> {
    // A launcher that cannot be reached: this shim is spawned, as without one.
    const conn = o.launcher && o.stdio !== "pipe" ? await o.launcher.connect() : undefined;
    const shim = new Shim(o, conn);
    if (conn && o.launcher) await shim.forkedBy(o.launcher, o.launchDeadlineMs ?? LAUNCH_DEADLINE_MS);
    return shim;
  }

  /** Waits for the launcher's `shim PID`, up to MS; past it the launcher is retired. */
  private async forkedBy(launcher: Launcher, ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), ms)));
    try {
      if ((await Promise.race([this.until("shim"), late])) !== "late") return;
    } finally {
      clearTimeout(timer);
    }
    this.control.destroy();
    launcher.retire();
    throw new MydockerError("shim-failed", `the shim launcher did not start a shim within ${ms / 1000} s (it is replaced)`);
  }

  private constructor(
    private readonly o: ShimOptions,
    conn: Socket | undefined,
  ) {
    this.debug = o.debug ?? (() => {});
    if (conn) {
      this.control = conn;
      conn.on("error", (e) => this.fail(new MydockerError("shim-failed", `the shim launcher: ${e.message}`)));
      this.exited = this.onClose(conn, () => this.statusLine ?? { exitCode: 255, signal: 0 });
      const fd = (wanted: boolean) => (wanted ? 1 : 0);
      conn.write(`spawn ${fd(o.stdio === "inherit" && o.stdin !== false)} ${fd(o.stdio === "inherit")}\n`);
    } else if (o.vfork && (o.stdio === "inherit" || o.stdio === "ignore") && !o.extraFds) {
      let spawned: { pid: number; fd: number };
      try {
        spawned = spawnShim(o.shimPath, o.stdio === "inherit" && o.stdin !== false, o.stdio === "inherit");
      } catch (e) {
        throw (e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "EACCES" ? shimMissing(o.shimPath) : e;
      }
      const pid = spawned.pid;
      this.forkedPid = pid;
      this.control = new Socket({ fd: spawned.fd, readable: true, writable: true });
      this.control.on("error", (e) => this.debug(`shim ${pid}: control socket: ${e.message}`));
      this.exited = new Promise((resolve) => {
        this.control.once("close", () => {
          // Released (a detached container's): its monitor lives on, nobody waits for it here;
          // it is inherited by whoever reaps our orphans once we exit.
          if (this.released) return;
          const settle = (status: ShimExit) => {
            this.done = true;
            resolve(status);
            this.wake();
          };
          // Its exit line said how the container ended: that is known, and the shim is reaped
          // if it is gone already (else it is left to whoever inherits it at our exit).
          if (this.exitLine) {
            void waitReaped(pid, 0);
            settle(this.exitLine);
          } else {
            void waitReaped(pid, REAP_WAIT_MS).then((got) => settle(got ?? { exitCode: 255, signal: 0 }));
          }
        });
      });
    } else {
      // Own session: a terminal's signals reach the caller only, which passes them on.
      // cwd "/": a monitor that outlives us must not keep the caller's directory busy.
      const extra = Array.from({ length: o.extraFds ?? 0 }, (_, i) => 3 + i);
      const child = spawn(o.shimPath, [], { stdio: [o.stdin === false ? "ignore" : o.stdio, o.stdio, o.stdio, "pipe", ...extra], detached: true, cwd: "/" });
      child.on("error", (e) => {
        this.fail(new MydockerError("shim-failed", `cannot run the shim ${o.shimPath}: ${e.message}`));
      });
      if (child.pid === undefined) {
        // spawn reports a missing binary asynchronously; say it now, plainly.
        throw shimMissing(o.shimPath);
      }
      this.child = child;
      if (child.stdout && child.stderr) this.held = { stdout: held(child.stdout), stderr: held(child.stderr) };
      this.forkedPid = child.pid;
      this.control = child.stdio[3] as Duplex;
      this.control.on("error", (e) => this.debug(`shim ${this.forkedPid}: control socket: ${e.message}`));
      let status: ShimExit = { exitCode: 255, signal: 0 };
      child.on("exit", (code, signal) => {
        const sig = signal ? signalNumber(signal) : 0;
        status = { exitCode: code ?? 128 + sig, signal: sig };
      });
      // "close", not "exit": only then has every line the shim wrote been read. Or once the
      // exit line came and every pipe of the shim's closed: the monitor may go on as its exit
      // command (which gets none of them), and nobody waits for that.
      this.exited = new Promise((resolve) => {
        let settled = false;
        const settle = (s: ShimExit) => {
          if (settled) return;
          settled = true;
          this.done = true;
          resolve(s);
          this.wake();
        };
        const pipes = child.stdio.filter((p): p is NonNullable<typeof p> => p !== null);
        let open = pipes.length;
        for (const p of pipes) {
          p.once("close", () => {
            if (--open > 0 || !this.exitLine) return;
            child.unref();
            settle(this.exitLine);
          });
        }
        child.once("close", () => settle(this.exitLine ?? status));
      });
    }
    this.control.setEncoding("utf8");
    this.control.on("data", (chunk: string) => this.onData(chunk));
  }

  /** What the shim is to do: it reads nothing else before, and acts on nothing but this. */
  sendPlan(plan: Plan): void {
    this.plan = plan;
    this.control.write(framePlan(plan));
  }

  private onClose(emitter: ChildProcess | Socket, status: () => ShimExit): Promise<ShimExit> {
    return new Promise((resolve) => {
      emitter.once("close", () => {
        this.done = true;
        resolve(this.exitLine ?? status());
        this.wake();
      });
    });
  }

  /** The shim's pid (known once started). */
  get shimPid(): number {
    if (this.forkedPid === undefined) throw new Error("the shim has not reported its pid yet");
    return this.forkedPid;
  }

  /** With stdio "pipe": the process's stdin, stdout and stderr. */
  get pipes(): { stdin: Writable; stdout: Readable; stderr: Readable } {
    const stdin = this.child?.stdin;
    if (!stdin || !this.held) throw new Error("the shim was not started with piped stdio");
    return { stdin, ...this.held };
  }

  /** With stdio "pipe": the process's stdout and stderr (its stdin may be /dev/null). */
  get output(): { stdout: Readable; stderr: Readable } {
    if (!this.held) throw new Error("the shim was not started with piped stdio");
    return this.held;
  }

  /** The container process's host pid (known once `pid` arrived). */
  get pid(): number | undefined {
    return this.containerPid;
  }

  /** Whether the process (or the shim) has ended: its pid may then be someone else's. */
  get hasExited(): boolean {
    return this.done || this.exitLine !== undefined;
  }

  /** Waits until the child reached milestone; rejects with the failed step, or if the shim ended first. */
  async until(milestone: Milestone): Promise<number> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (milestone === "shim" && this.forkedPid !== undefined) return this.forkedPid;
      if (this.reached.has(milestone) && this.containerPid !== undefined) return this.containerPid;
      if (this.done) {
        throw new MydockerError("shim-failed", `the shim ended before the container reached "${milestone}"`);
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Lets the shim (and the container) live on without us. */
  release(): void {
    this.released = true;
    this.control.removeAllListeners("data");
    this.control.destroy();
    this.child?.removeAllListeners();
    this.child?.unref();
  }

  /**
   * Lets this process exit while the shim keeps its control socket until then: a monitor
   * that hands an exec'd process off ends at the EOF our exit makes (docs/plan.md, handoff).
   */
  releaseAtExit(): void {
    this.control.removeAllListeners("data");
    (this.control as Socket).unref?.();
    this.child?.removeAllListeners();
    this.child?.unref();
  }

  /** Kills the container's process and the shim: used when a setup fails half way. */
  abort(): void {
    for (const pid of [this.containerPid, this.forkedPid]) {
      if (pid === undefined) continue;
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.wake();
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf("\n")) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      this.onLine(line);
    }
  }

  private onLine(line: string): void {
    this.debug(`shim ${this.forkedPid}: ${line}`);
    const [word = "", ...rest] = line.split(" ");
    switch (word) {
      case "shim":
        this.forkedPid = Number(rest[0]);
        break;
      case "status":
        this.statusLine = { exitCode: Number(rest[0]), signal: Number(rest[1]) };
        break;
      case "pid":
        this.containerPid = Number(rest[0]);
        if (this.plan.some((s) => s.op === "sync")) void this.letChildGo(this.containerPid);
        break;
      case "ready":
      case "exec":
        this.reached.add(word);
        if (word === "exec") this.reached.add("ready");
        break;
      case "error": {
        const f = parseStepFailure(rest.join(" "));
        this.fail(f ? stepFailureError(this.plan, f) : new MydockerError("shim-failed", `shim: ${line}`));
        break;
      }
      case "exit":
        this.exitLine = { exitCode: Number(rest[0]), signal: Number(rest[1]) };
        break;
      case "hooks":
        void this.goAfter(() => this.o.onHooks?.(this.containerPid ?? 0, this.pauses++));
        break;
      default:
        this.debug(`shim ${this.forkedPid}: unknown line ignored`);
    }
    this.wake();
  }

  /** The caller's work between `pid` and `go`; its failure kills the child before it ran anything. */
  private letChildGo(pid: number): Promise<void> {
    return this.goAfter(() => this.o.onPid?.(pid));
  }

  /** The caller's work while the child waits; then `go`, or, should it fail, the child is killed. */
  private async goAfter(work: () => Promise<void> | undefined): Promise<void> {
    try {
      await work();
      this.control.write("go\n");
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
      this.abort();
    }
  }
}

/** How long a vforked shim, its control socket closed, may take to exit before it is left unreaped. */
const REAP_WAIT_MS = 2000;

/**
 * A child's output, read from its spawn on and held until the caller reads it. When a child
 * exits, node resumes each of its outputs that nobody reads yet and drops what comes: a
 * quick process (cp's stat, a short exec) whose shim exited before the caller, still awaiting
 * the "exec" line, took its output lost all of it on a loaded machine.
 */
function held(out: Readable): Readable {
  const hold = new PassThrough();
  // Its end, or an error on the way: the held output ends (closes) too, as the pipe would.
  out.once("error", () => hold.destroy());
  out.pipe(hold);
  return hold;
}
