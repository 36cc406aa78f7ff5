// A program run to its end without a fork of this process (fsat's spawnPiped: posix_spawn).
// Node forks itself for every spawn: a daemon of a hundred megabytes pays for each fork in
// page tables copied and then copy-on-write faults over its heap, ~6% of `mydocker serve`'s
// thread in a burst of 20 `docker run -d`, each with its `netavark setup`.
import { Socket } from "node:net";
import { reap, spawnPiped } from "./fsat.js";

export interface Ran {
  /** The exit status, 128+N when killed by signal N. */
  code: number;
  stdout: string;
  stderr: string;
}

/** How long a program whose output ended (it is exiting) may take to be reaped. */
const REAP_DEADLINE_MS = 10_000;

/** argv[0] looked up in PATH, run with stdinFd as its stdin (the caller keeps and closes its own fd); throws when it cannot start. */
export async function runPiped(argv: string[], stdinFd: number): Promise<Ran> {
  const child = spawnPiped(argv[0]!, argv, stdinFd);
  const [stdout, stderr] = await Promise.all([readAll(child.stdout), readAll(child.stderr)]);
  return { code: (await waitReaped(child.pid, REAP_DEADLINE_MS))?.exitCode ?? 255, stdout, stderr };
}

/** A pipe's text to its end, read on the event loop (never a thread-pool thread blocked on it). */
function readAll(fd: number): Promise<string> {
  return new Promise((resolve) => {
    const s = new Socket({ fd, readable: true, writable: false });
    let text = "";
    s.setEncoding("utf8");
    s.on("data", (d: string) => (text += d));
    s.on("error", () => s.destroy());
    s.on("close", () => resolve(text));
  });
}

/**
 * How a child of ours spawned without Node (fsat spawnShim, spawnPiped) ended, reaped as soon
 * as it is gone; undefined if it still runs after ms, or was reaped already (ECHILD). The
 * first look is made before this returns its promise.
 */
export async function waitReaped(pid: number, ms: number): Promise<{ exitCode: number; signal: number } | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    let got: { exitCode: number; signal: number } | undefined;
    try {
      got = reap(pid);
    } catch {
      return undefined;
    }
    if (got) return got;
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, 1));
  }
}
