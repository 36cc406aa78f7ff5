// Processes for the cgroup tests: each one waits on stdin until the test has put it in
// its cgroup, so all of its work (and every child it forks) is accounted there.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { Cgroup } from "../../src/cgroups/index.js";
import { waitFor } from "../helpers/wait.js";

export interface Gated {
  child: ChildProcess;
  pid: number;
  /** Lets the process run its script. */
  go(): void;
  /** Exit code and signal, and what it printed. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

export function gated(script: string): Gated {
  const child = spawn("sh", ["-c", `read _ || exit 1\n${script}`], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  if (child.pid === undefined) throw new Error("sh did not start");
  return { child, pid: child.pid, go: () => child.stdin?.end("\n"), done };
}

/** Starts script inside cgroup. */
export function runIn(cgroup: Cgroup, script: string): Gated {
  const p = gated(script);
  cgroup.addProcess(p.pid);
  p.go();
  return p;
}

export function testParent(): string {
  return `mydocker-test-${randomBytes(4).toString("hex")}`;
}

export const isRoot = process.getuid?.() === 0;

/** A shell loop that counts in a file (renamed into place, so a read never sees it half written). */
export function counterScript(file: string): string {
  return `i=0; while :; do i=$((i+1)); echo $i > ${file}.new; mv ${file}.new ${file}; sleep 0.02; done`;
}

/** The count a counterScript reached; 0 before its first write. */
export function counterValue(file: string): number {
  try {
    return Number(readFileSync(file, "utf8"));
  } catch {
    return 0;
  }
}

/**
 * Freezing told apart from idling: the counter is seen moving, stands still while frozen
 * (for longer than many of its steps) and moves again once thawed.
 */
export async function assertFreezes(cg: Cgroup, counter: string): Promise<void> {
  await waitFor(() => counterValue(counter) >= 3, { what: "the counter to move" });
  await cg.freeze();
  assert.equal(cg.isFrozen(), true);
  const frozenAt = counterValue(counter);
  // Twenty of the counter's steps: time for it to move if it were not frozen.
  await sleep(400);
  assert.equal(counterValue(counter), frozenAt, "nothing runs while frozen");
  cg.thaw();
  assert.equal(cg.isFrozen(), false);
  await waitFor(() => counterValue(counter) > frozenAt, { what: "the counter to move again once thawed" });
}
