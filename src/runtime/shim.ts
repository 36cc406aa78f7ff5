// Runs native/mydocker-shim: sends it a plan on fd 3 and follows the line protocol
// of docs/plan.md (pid, ready, exec, error, exit; go).
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Duplex, Readable, Writable } from "node:stream";
import { MydockerError } from "../util/errors.js";
import { framePlan, type Plan } from "./plan.js";
import { parseStepFailure, stepFailureError } from "./shim-errors.js";
import { signalNumber } from "./signals.js";

export interface ShimExit {
  /** The exit status, 128+N when killed by signal N. */
  exitCode: number;
  /** The signal that killed the process, else 0. */
  signal: number;
}

/** The shim next to the package (native/mydocker-shim), unless MYDOCKER_SHIM says otherwise. */
export function defaultShimPath(): string {
  return process.env["MYDOCKER_SHIM"] || fileURLToPath(new URL("../../../native/mydocker-shim", import.meta.url));
}

export interface ShimOptions {
  shimPath: string;
  plan: Plan;
  /** The shim's fds 0-2: the caller's own (foreground), nothing (a detached container) or pipes (a helper). */
  stdio: "inherit" | "ignore" | "pipe";
  /** false: the container reads /dev/null, not the caller's stdin (docker run without -i). */
  stdin?: boolean;
  /** Runs while the child waits (after `pid`, before `go`): network, say. Only with a plan that has `sync`. */
  onPid?: (pid: number) => Promise<void>;
  debug?: (msg: string) => void;
}

type Milestone = "ready" | "exec";

export class Shim {
  readonly shimPid: number;
  /** Resolves when the shim process ends. */
  readonly exited: Promise<ShimExit>;
  private readonly child: ChildProcess;
  private readonly control: Duplex;
  private readonly plan: Plan;
  private readonly debug: (msg: string) => void;
  private containerPid: number | undefined;
  private reached = new Set<Milestone>();
  private failure: Error | undefined;
  private exitLine: ShimExit | undefined;
  private waiters: (() => void)[] = [];
  private done = false;
  private buffered = "";

  constructor(private readonly o: ShimOptions) {
    this.plan = o.plan;
    this.debug = o.debug ?? (() => {});
    // Own session: a terminal's signals reach the caller only, which passes them on.
    // cwd "/": a monitor that outlives us must not keep the caller's directory busy.
    this.child = spawn(o.shimPath, [], { stdio: [o.stdin === false ? "ignore" : o.stdio, o.stdio, o.stdio, "pipe"], detached: true, cwd: "/" });
    this.child.on("error", (e) => {
      this.fail(new MydockerError("shim-failed", `cannot run the shim ${o.shimPath}: ${e.message}`));
    });
    if (this.child.pid === undefined) {
      // spawn reports a missing binary asynchronously; say it now, plainly.
      throw new MydockerError("shim-missing", `cannot run the shim ${o.shimPath} (build it with "make -C native")`);
    }
    this.shimPid = this.child.pid;
    this.control = this.child.stdio[3] as Duplex;
    this.control.setEncoding("utf8");
    this.control.on("data", (chunk: string) => this.onData(chunk));
    this.control.on("error", (e) => this.debug(`shim ${this.shimPid}: control socket: ${e.message}`));
    this.exited = new Promise((resolve) => {
      // "close", not "exit": only then has every line the shim wrote been read.
      this.child.on("close", (code, signal) => {
        this.done = true;
        const sig = signal ? signalNumber(signal) : 0;
        resolve(this.exitLine ?? { exitCode: code ?? 128 + sig, signal: sig });
        this.wake();
      });
    });
    this.control.write(framePlan(o.plan));
  }

  /** With stdio "pipe": the process's stdin, stdout and stderr. */
  get pipes(): { stdin: Writable; stdout: Readable; stderr: Readable } {
    const [stdin, stdout, stderr] = this.child.stdio;
    if (!stdin || !stdout || !stderr) throw new Error("the shim was not started with piped stdio");
    return { stdin: stdin as Writable, stdout: stdout as Readable, stderr: stderr as Readable };
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
      if (this.reached.has(milestone) && this.containerPid !== undefined) return this.containerPid;
      if (this.done) {
        throw new MydockerError("shim-failed", `the shim ended before the container reached "${milestone}"`);
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Lets the shim (and the container) live on without us. */
  release(): void {
    this.control.removeAllListeners("data");
    this.control.destroy();
    this.child.removeAllListeners();
    this.child.unref();
  }

  /** Kills the container's process and the shim: used when a setup fails half way. */
  abort(): void {
    for (const pid of [this.containerPid, this.shimPid]) {
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
    this.debug(`shim ${this.shimPid}: ${line}`);
    const [word = "", ...rest] = line.split(" ");
    switch (word) {
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
      default:
        this.debug(`shim ${this.shimPid}: unknown line ignored`);
    }
    this.wake();
  }

  /** The caller's work between `pid` and `go`; its failure kills the child before it ran anything. */
  private async letChildGo(pid: number): Promise<void> {
    try {
      await this.o.onPid?.(pid);
      this.control.write("go\n");
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
      this.abort();
    }
  }
}
