// Runs the real mydocker command line in temporary roots, as a user would.
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before } from "node:test";

/** Also here for the suites that take their helpers from this file. */
export { waitFor } from "./wait.js";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const BIN = path.join(REPO, "bin/mydocker");

export interface Roots {
  root: string;
  runRoot: string;
  /** The suite's own parent cgroup, removed with the roots. */
  cgroupParent: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

export function tempRoots(prefix = "mydocker-test-"): Roots {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const root = path.join(base, "root");
  const runRoot = path.join(base, "run");
  const cgroupParent = path.basename(base);
  return {
    root,
    runRoot,
    cgroupParent,
    env: { ...process.env, MYDOCKER_ROOT: root, MYDOCKER_RUNROOT: runRoot, MYDOCKER_CGROUP_PARENT: cgroupParent },
    cleanup() {
      spawnSync(BIN, ["rm", "-f", ...listIds(this.env)], { env: this.env });
      // What the root keeps on the host for runs to come (the default bridge's pool) and
      // teardowns still running in exit commands: released, waited for, before the root goes.
      spawnSync(BIN, ["network", "prune", "-f"], { env: this.env });
      removeCgroupParent(cgroupParent);
      // A monitor may still be finishing its exit command in there.
      fs.rmSync(base, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

/** Where a cgroup path exists: one directory per v1 hierarchy, or the v2 one. */
export function cgroupDirs(cgroupPath: string): string[] {
  const roots = ["/sys/fs/cgroup", ...fs.readdirSync("/sys/fs/cgroup").map((h) => path.join("/sys/fs/cgroup", h))];
  return roots.map((r) => path.join(r, cgroupPath)).filter((d) => fs.existsSync(d));
}

/** Removes a suite's (by then empty) parent cgroup from every hierarchy. */
export function removeCgroupParent(name: string): void {
  for (const dir of cgroupDirs(name)) {
    try {
      fs.rmdirSync(dir);
    } catch {
      // Still holds a container: the assertions of the suite say so.
    }
  }
}

function listIds(env: NodeJS.ProcessEnv): string[] {
  const r = spawnSync(BIN, ["ps", "-aq", "--no-trunc"], { env, encoding: "utf8" });
  return r.status === 0 ? r.stdout.split("\n").filter(Boolean) : [];
}

export interface Result {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function mydocker(roots: Roots, args: string[], opts: { input?: string; timeout?: number } = {}): Result {
  // As a user runs it: bin/mydocker, its sh front, execs node.
  const r: SpawnSyncReturns<string> = spawnSync(BIN, args, {
    env: roots.env,
    input: opts.input ?? "",
    encoding: "utf8",
    timeout: opts.timeout ?? 60_000,
    // SIGTERM would be passed on to the container, whose PID 1 may ignore it: the test would hang.
    killSignal: "SIGKILL",
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Starts mydocker without waiting: for signals and kill -9 cases. */
export function mydockerAsync(roots: Roots, args: string[]) {
  const child = spawn(BIN, args, { env: roots.env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d));
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  const done = new Promise<Result>((resolve) =>
    child.on("close", (status, signal) => resolve({ status, signal, stdout, stderr })),
  );
  return { child, done, out: () => stdout, err: () => stderr };
}

/** The containers' state directories under a run root (the runtime keeps its compiled seccomp filters there too, in .seccomp). */
export function stateDirs(runRoot: string): string[] {
  return fs.existsSync(runRoot) ? fs.readdirSync(runRoot).filter((n) => !n.startsWith(".")) : [];
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export const NOT_ROOT = "integration tests need root (namespaces, mounts, cgroups): run them with sudo";

/**
 * The host's mount points at or under any of dirs (a test's own directories): other suites
 * on the machine may mount and unmount elsewhere meanwhile, so a test compares only these.
 */
export function mountsUnder(...dirs: string[]): string[] {
  return fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((point) => dirs.some((d) => point === d || point.startsWith(`${d}/`)))
    .sort();
}

/**
 * Mounts under dirs that belong to containers: the default bridge's pool of namespaces kept
 * ready for the next runs (run/.net-pool) is the root's, as the bridge itself is.
 */
export function runMountsUnder(...dirs: string[]): string[] {
  return mountsUnder(...dirs).filter((m) => !m.includes("/.net-pool/"));
}

/**
 * A suite of CLI tests in roots of its own: busybox is made before the first test, and
 * everything (containers, cgroup parent, roots) is removed after the last.
 */
export function cliSuite(): { md: (...args: string[]) => Result; ok: (...args: string[]) => string; roots: () => Roots } {
  let roots: Roots | undefined;
  before(() => {
    if (!isRoot()) return;
    roots = tempRoots();
    const r = mydocker(roots, ["run", "--rm", "busybox", "true"]);
    if (r.status !== 0) throw new Error(`the suite's first run failed: ${r.stderr}`);
  });
  after(() => roots?.cleanup());
  const current = () => {
    if (!roots) throw new Error("the suite's roots exist only while its tests run, as root");
    return roots;
  };
  const md = (...args: string[]) => mydocker(current(), args);
  /** md that must succeed: its trimmed stdout. */
  const ok = (...args: string[]) => {
    const r = md(...args);
    assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
    return r.stdout.trim();
  };
  return { md, ok, roots: current };
}
