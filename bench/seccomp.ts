// Issue 11: what docker's default seccomp profile costs a run. `run --rm busybox true` with
// the default filter and with seccomp=unconfined, the two taken in turns run by run (the
// order swapped every round), so that the drift of a shared machine falls on both alike;
// through the command line and through the library. Target: at most 1 ms per run.
import type { BenchContext } from "./context.js";
import { mustRun } from "./exec.js";
import { withTimeout, type BenchEngine } from "./mydocker.js";
import { printTable, toRow, type Row } from "./report.js";
import { msSince, summarize } from "./stats.js";

const UNCONFINED = ["--security-opt", "seccomp=unconfined"];
const LIBRARY_WARMUP = 20;
const LIBRARY_SAMPLES_PER_RUN = 10;
const TARGET_MS = 1;

type Variant = "default" | "unconfined";

/** Times both variants N times each, alternating which goes first. */
async function paired(n: number, once: (v: Variant) => Promise<void> | void): Promise<Record<Variant, number[]>> {
  const samples: Record<Variant, number[]> = { default: [], unconfined: [] };
  for (let i = 0; i < n; i++) {
    const order: Variant[] = i % 2 === 0 ? ["default", "unconfined"] : ["unconfined", "default"];
    for (const v of order) {
      const start = process.hrtime.bigint();
      await once(v);
      samples[v].push(msSince(start));
    }
  }
  return samples;
}

async function libraryRun(engine: BenchEngine, v: Variant): Promise<void> {
  const securityOpt = v === "unconfined" ? ["seccomp=unconfined"] : [];
  const r = await withTimeout(engine.run({ image: "busybox", cmd: ["true"], autoRemove: true, securityOpt }, { stdio: "ignore" }));
  if (r.exitCode !== 0) throw new Error(`Engine.run of true exited ${r.exitCode}`);
}

function rowsOf(label: string, s: Record<Variant, number[]>): Row[] {
  return [
    toRow(`${label}, default profile`, { ok: true, value: summarize(s.default) }),
    toRow(`${label}, unconfined`, { ok: true, value: summarize(s.unconfined) }),
  ];
}

/**
 * The cost per run from the pairs (each default run against the unconfined one next to it):
 * their mean difference with its standard error, and the median difference, which a few
 * runs the machine stalled in do not move.
 */
function printCost(label: string, s: Record<Variant, number[]>): void {
  const diffs = s.default.map((d, i) => d - s.unconfined[i]);
  const { mean, stddev, runs } = summarize(diffs);
  const sorted = [...diffs].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1];
  const ratio = summarize(s.default).mean / summarize(s.unconfined).mean;
  const verdict = median <= TARGET_MS ? "met" : "not met";
  console.log(
    `${label}: the default profile costs ${mean.toFixed(2)} ± ${(stddev / Math.sqrt(runs)).toFixed(2)} ms per run (median of ${runs} pairs ${median.toFixed(2)} ms; ratio of means ${ratio.toFixed(3)}); target <= ${TARGET_MS} ms (median): ${verdict}`,
  );
}

export async function seccomp(ctx: BenchContext): Promise<void> {
  const { mydocker, runs, warmup } = ctx;
  const cli = (v: Variant) => mydocker.cli(["run", "--rm", ...(v === "unconfined" ? UNCONFINED : []), "busybox", "true"]);
  process.stderr.write("  measuring the command line, default profile and unconfined in turns...\n");
  // Each run's CPU time too (user + system, the command and everything it waited for, by
  // bash's `time`): on a loaded machine a few ms of CPU can cost tens of ms of waiting.
  const cpu: Record<Variant, number[]> = { default: [], unconfined: [] };
  const cliOnce = (v: Variant) => {
    const out = mustRun(["bash", "-c", 'TIMEFORMAT="%3U %3S"; { time "$@" >/dev/null 2>&1; } 2>&1', "bash", ...cli(v)], mydocker.env);
    const [user, sys] = out.trim().split(" ").map(Number);
    cpu[v].push((user + sys) * 1000);
  };
  await paired(warmup, cliOnce);
  cpu.default = [];
  cpu.unconfined = [];
  const cliSamples = await paired(runs, cliOnce);

  process.stderr.write("  measuring the library, default profile and unconfined in turns...\n");
  const engine = await ctx.mydocker.engine();
  await paired(Math.max(warmup, LIBRARY_WARMUP), (v) => libraryRun(engine, v));
  const libSamples = await paired(runs * LIBRARY_SAMPLES_PER_RUN, (v) => libraryRun(engine, v));

  printTable("seccomp: run /bin/true in busybox, docker's default profile against none", "ms", [...rowsOf("CLI", cliSamples), ...rowsOf("library", libSamples)], []);
  printCost("CLI", cliSamples);
  printCost("CLI, CPU time", cpu);
  printCost("library", libSamples);
}
