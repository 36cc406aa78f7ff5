// Times an external command with hyperfine and reads its JSON export.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runSync, whyFailed } from "./exec.js";
import type { Stats } from "./stats.js";

/** The part of hyperfine's --export-json output we read (times in seconds). */
interface HyperfineExport {
  results: { command: string; mean: number; stddev: number | null; times: number[]; user: number; system: number }[];
}

/** Wall time, and the mean CPU time (user + system, the command's waited-for children included) in ms. */
export type TimedCommand = Stats & { cpuMs: number };

export interface HyperfineOptions {
  runs: number;
  warmup: number;
  env?: NodeJS.ProcessEnv;
}

/** hyperfine --shell=none splits the command like a shell would: quote what needs it. */
function shellWord(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Times argv with hyperfine, without a shell in between (--shell=none) so that
 * millisecond-scale runtimes are not dwarfed by a shell's startup.
 */
export function hyperfine(argv: string[], opts: HyperfineOptions): TimedCommand {
  // One plain run first, so a failing subject reports its own error rather than hyperfine's.
  const once = runSync(argv, opts.env);
  if (once.status !== 0) throw new Error(whyFailed(once));
  return timed(argv, opts);
}

/**
 * One run of argv, its wall and CPU time (hyperfine reads the CPU time from wait4(2), to the
 * microsecond): a sample of a measurement that takes its runs in turns with others.
 */
export function timeOnce(argv: string[], env?: NodeJS.ProcessEnv): TimedCommand {
  return timed(argv, { runs: 1, warmup: 0, env });
}

function timed(argv: string[], opts: HyperfineOptions): TimedCommand {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-bench-hf-"));
  try {
    const out = path.join(dir, "result.json");
    const r = runSync(
      [
        "hyperfine",
        "--shell=none",
        "--style=none",
        `--runs=${opts.runs}`,
        `--warmup=${opts.warmup}`,
        `--export-json=${out}`,
        argv.map(shellWord).join(" "),
      ],
      opts.env,
    );
    if (r.status !== 0) throw new Error(`hyperfine: ${whyFailed(r)}`);
    const result = (JSON.parse(fs.readFileSync(out, "utf8")) as HyperfineExport).results[0];
    return { mean: result.mean * 1000, stddev: (result.stddev ?? 0) * 1000, runs: result.times.length, cpuMs: (result.user + result.system) * 1000 };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
