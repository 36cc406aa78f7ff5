// Rows of one benchmark, printed as a table of means and ratios, and the targets they are held to.
import { median, type Stats } from "./stats.js";

export type Outcome = ({ ok: true } & Stats) | { ok: false; reason: string };

export interface Row {
  subject: string;
  outcome: Outcome;
}

export type Attempt<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Runs one subject's measurement; a failure becomes its reason, so the other subjects still run. */
export async function attempt<T>(subject: string, fn: () => Promise<T> | T): Promise<Attempt<T>> {
  process.stderr.write(`  measuring ${subject}...\n`);
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

export function toRow(subject: string, a: Attempt<Stats>): Row {
  return { subject, outcome: a.ok ? { ok: true, ...a.value } : a };
}

export async function measure(subject: string, fn: () => Promise<Stats> | Stats): Promise<Row> {
  return toRow(subject, await attempt(subject, fn));
}

export function ratio(rows: Row[], subject: string, baseline: string): number | undefined {
  const a = rows.find((r) => r.subject === subject)?.outcome;
  const b = rows.find((r) => r.subject === baseline)?.outcome;
  return a?.ok && b?.ok && b.mean > 0 ? a.mean / b.mean : undefined;
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
}

/** Prints subject, mean, ± stddev, runs and the ratio against each baseline. */
export function printTable(title: string, unit: string, rows: Row[], baselines: string[]): void {
  const header = ["subject", `mean ${unit}`, `± ${unit}`, "n", ...baselines.map((b) => `vs ${b}`)];
  const body = rows.map((r) =>
    r.outcome.ok
      ? [
          r.subject,
          r.outcome.mean.toFixed(1),
          r.outcome.stddev.toFixed(1),
          String(r.outcome.runs),
          ...baselines.map((b) => {
            const x = ratio(rows, r.subject, b);
            return x === undefined ? "-" : `${x.toFixed(2)}x`;
          }),
        ]
      : [r.subject, `failed: ${r.outcome.reason}`],
  );
  const okBody = body.filter((cells) => cells.length > 2);
  const widths = header.map((h, i) => Math.max(h.length, ...okBody.map((c) => c[i].length)));
  widths[0] = Math.max(widths[0], ...rows.map((r) => r.subject.length));
  console.log(`\n## ${title}\n`);
  console.log(pad(header, widths));
  for (const cells of body) console.log(cells.length > 2 ? pad(cells, widths) : `${cells[0].padEnd(widths[0])}  ${cells[1]}`);
}

/** Prints whether subject's mean is at most maxRatio times baseline's; label names the quantity. */
export function printTarget(rows: Row[], subject: string, baseline: string, maxRatio: number, label = "time"): void {
  const x = ratio(rows, subject, baseline);
  const verdict = x === undefined ? "not measured" : x <= maxRatio ? "met" : "not met";
  const got = x === undefined ? "" : ` (measured ${x.toFixed(2)}x)`;
  console.log(`target (${label}): ${subject} <= ${maxRatio.toFixed(1)}x ${baseline}: ${verdict}${got}`);
}

/**
 * The subjects in the order of one round of measurements: reversed every other round, so
 * that the drift of a machine others load falls on all of them alike.
 */
export function inTurn<T>(subjects: readonly T[], round: number): T[] {
  return round % 2 === 0 ? [...subjects] : [...subjects].reverse();
}

interface PairedCase {
  unit: string;
  /** Higher is better (a throughput): the target is a floor, not a ceiling. */
  higher: boolean;
  target?: number;
  values: Map<string, number[]>;
}

/**
 * Cases measured for two subjects in turns (`inTurn`), printed as a markdown table of
 * medians: ours, the peer's, the ratio and whether it meets the case's target.
 */
export class PairedTable {
  private readonly cases = new Map<string, PairedCase>();

  constructor(
    private readonly ours: string,
    private readonly peer: string,
  ) {}

  /** target.ratio: none for a row printed for reference (no target). */
  add(name: string, subject: string, value: number, target: { unit: string; ratio?: number; higher?: boolean }): void {
    let c = this.cases.get(name);
    if (!c) this.cases.set(name, (c = { unit: target.unit, higher: target.higher ?? false, target: target.ratio, values: new Map() }));
    c.values.set(subject, [...(c.values.get(subject) ?? []), value]);
  }

  print(): void {
    process.stdout.write(`| case | ${this.ours} | ${this.peer} | ratio | target |\n|---|---|---|---|---|\n`);
    for (const [name, c] of this.cases) {
      const ours = median(c.values.get(this.ours) ?? []);
      const theirs = median(c.values.get(this.peer) ?? []);
      const ratio = ours / theirs;
      const met = c.target === undefined ? undefined : c.higher ? ratio >= c.target : ratio <= c.target;
      const target = c.target === undefined ? "-" : `${c.higher ? ">=" : "<="} ${c.target}x ${met ? "met" : "NOT met"}`;
      process.stdout.write(`| ${name} | ${ours.toFixed(0)} ${c.unit} | ${theirs.toFixed(0)} ${c.unit} | ${ratio.toFixed(2)}x | ${target} |\n`);
    }
  }
}
