// mydocker as a benchmark subject: its command line and its library, in temporary roots.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CreateOptions, Engine, EngineOptions } from "../src/index.js";
import { runSync } from "./exec.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = path.join(REPO, "bin/mydocker");

/** The part of the Engine API the benchmarks use. */
export type BenchEngine = Pick<Engine, "run" | "remove"> & {
  runDetached?(opts: CreateOptions): Promise<string>;
};

interface EngineModule {
  Engine: new (opts: EngineOptions) => BenchEngine;
}

export interface Mydocker {
  root: string;
  runRoot: string;
  env: NodeJS.ProcessEnv;
  /** argv of the mydocker command line with these roots (set env too). */
  cli(args: string[]): string[];
  /** The library, loaded on first use; it rejects with the reason when the engine cannot load. */
  engine(): Promise<BenchEngine>;
  cleanup(): void;
}

export function prepareMydocker(): Mydocker {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-bench-"));
  const root = path.join(base, "root");
  const runRoot = path.join(base, "run");
  // A parent cgroup of the run's own, removed at the end like the roots.
  const cgroupParent = path.basename(base);
  const env = { ...process.env, MYDOCKER_ROOT: root, MYDOCKER_RUNROOT: runRoot, MYDOCKER_CGROUP_PARENT: cgroupParent };
  // As a user runs it: through its #! line.
  const cli = (args: string[]) => [BIN, ...args];
  let loaded: Promise<BenchEngine> | undefined;
  return {
    root,
    runRoot,
    env,
    cli,
    engine() {
      loaded ??= loadEngine(root, runRoot, cgroupParent);
      return loaded;
    },
    cleanup() {
      const ps = runSync(cli(["ps", "-aq", "--no-trunc"]), env);
      const ids = ps.status === 0 ? ps.stdout.split("\n").filter(Boolean) : [];
      if (ids.length > 0) runSync(cli(["rm", "-f", ...ids]), env);
      // The default bridge's pool and teardowns still in exit commands: released, waited for.
      runSync(cli(["network", "prune", "-f"]), env);
      unmountUnder(base);
      removeCgroup(cgroupParent);
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}

// Loaded at run time, not imported: an engine that fails to load fails its rows, not the benchmark.
async function loadEngine(root: string, runRoot: string, cgroupParent: string): Promise<BenchEngine> {
  const specifier = new URL("../src/index.js", import.meta.url).href;
  const mod = (await import(specifier)) as Partial<EngineModule>;
  if (typeof mod.Engine !== "function") throw new Error("dist/src/index.js exports no Engine");
  return new mod.Engine({ root, runRoot, cgroupParent });
}

/** The run's parent cgroup in every hierarchy (v1) or the one tree (v2), once its containers are gone. */
function removeCgroup(name: string): void {
  const top = "/sys/fs/cgroup";
  for (const dir of [top, ...fs.readdirSync(top).map((h) => path.join(top, h))].map((r) => path.join(r, name))) {
    try {
      fs.rmdirSync(dir);
    } catch {
      // Not in this hierarchy, or not a hierarchy at all.
    }
  }
}

/**
 * Mounts the engine left under our roots. The benchmarks run in their own private mount
 * namespace, so these are ours; unmount them before deleting so no rm crosses a mount.
 */
function unmountUnder(base: string): void {
  const mountPoints = fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((mp): mp is string => mp !== undefined && (mp === base || mp.startsWith(`${base}/`)))
    .sort((a, b) => b.length - a.length);
  for (const mp of mountPoints) runSync(["umount", "--lazy", mp]);
}

/** One `run --rm --network none busybox true` through the library: the peers' work (an empty network namespace). */
export async function runTrue(engine: BenchEngine): Promise<void> {
  const r = await withTimeout(engine.run({ image: "busybox", cmd: ["true"], autoRemove: true, network: "none" }, { stdio: "ignore" }));
  if (r.exitCode !== 0) throw new Error(`Engine.run of true exited ${r.exitCode}`);
}

const ENGINE_TIMEOUT_MS = 60_000;

/** A hung engine call fails the subject instead of hanging the whole benchmark. */
export async function withTimeout<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the engine did not answer within ${ENGINE_TIMEOUT_MS} ms`)), ENGINE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
