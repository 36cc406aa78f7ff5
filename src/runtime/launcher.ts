// A long-lived `mydocker-shim --serve` that forks shims for this process (native/serve.c).
// Node forks itself for every spawn: with a heap of tens of megabytes that costs ~1.5 ms
// of page-table copying, then copy-on-write faults all over the heap. A process that starts
// many containers (the library) connects to the launcher instead, which forks a 1 MB
// static binary. The command line, which starts one container, spawns the shim directly.
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import type { Duplex } from "node:stream";
import { MydockerError } from "../util/errors.js";
import { shimMissing } from "./shim-binary.js";

let instances = 0;

/**
 * A launcher starts, and forks a shim, in a millisecond or two; one that has not said
 * `ready` or `shim PID` in this long is stuck (out of file descriptors, say) and is
 * replaced rather than waited on for ever.
 */
export const LAUNCH_DEADLINE_MS = 10_000;

export class Launcher {
  private exited = false;

  private constructor(
    child: ChildProcess,
    private readonly tie: Duplex,
    private readonly name: string,
  ) {
    child.once("exit", () => (this.exited = true));
  }

  /** Starts one and waits until it listens (at most DEADLINEMS). */
  static async start(shimPath: string, deadlineMs = LAUNCH_DEADLINE_MS): Promise<Launcher> {
    // Abstract socket names are per network namespace; the launcher accepts its parent only.
    const name = `mydocker-launcher-${process.pid}-${++instances}-${Math.random().toString(36).slice(2)}`;
    // Own session: a terminal's Ctrl-C is for the caller, not for the launcher.
    const child = spawn(shimPath, ["--serve", name], { stdio: ["inherit", "inherit", "inherit", "pipe"], detached: true, cwd: "/" });
    const tie = child.stdio[3] as Duplex | null;
    if (child.pid === undefined || !tie) {
      throw shimMissing(shimPath);
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        let got = "";
        const failed = (why: string) => reject(new MydockerError("shim-failed", `the shim launcher did not start: ${why}`));
        timer = setTimeout(() => failed(`it was not ready within ${deadlineMs / 1000} s`), deadlineMs);
        tie.setEncoding("utf8");
        tie.on("data", (chunk: string) => {
          got += chunk;
          if (got.includes("ready\n")) resolve();
        });
        tie.once("close", () => failed("it exited"));
        child.once("error", (e) => failed(e.message));
      });
    } catch (e) {
      tie.destroy();
      child.kill("SIGKILL");
      throw e;
    } finally {
      clearTimeout(timer);
    }
    tie.removeAllListeners();
    tie.on("error", () => {});
    // It must not keep this process alive; at this process's exit its tie reads EOF.
    child.unref();
    (tie as net.Socket).unref();
    return new Launcher(child, tie, name);
  }

  get alive(): boolean {
    return !this.exited;
  }

  /**
   * A connection that becomes one shim: its control socket once the shim runs. undefined
   * when the launcher is gone (killed, say): it is then marked dead, and replaced next time.
   */
  async connect(): Promise<net.Socket | undefined> {
    const conn = net.createConnection({ path: `\0${this.name}` });
    const connected = await new Promise<boolean>((resolve) => {
      conn.once("connect", () => resolve(true));
      conn.once("error", () => resolve(false));
    });
    conn.removeAllListeners();
    if (connected) return conn;
    conn.destroy();
    this.exited = true;
    return undefined;
  }

  /** The launcher exits; shims it started live on. */
  close(): void {
    this.tie.destroy();
  }

  /** Marks it dead (the next caller starts a new one) and lets it exit. */
  retire(): void {
    this.exited = true;
    this.close();
  }
}
