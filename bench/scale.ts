// Issue 18: the cost of a command with N detached containers beside it, against the same
// command with none. Two engine roots, each with one target container: "alone" keeps only
// it, "beside" gets N more. Every command is run in both roots in turns, round after round
// (the order reversed every other round), so that the drift of a machine others load falls
// on both alike; medians of wall and CPU time are compared. The same rounds before the N are
// made say how far apart the two roots are with nothing between them. `ps -a` and
// `stats --no-stream` are also compared with podman's: the two in turns, round after round,
// with none of either's containers and then with N of each (podman's in a store of the
// benchmark's own, so that its listings see only them).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BenchContext } from "./context.js";
import { mydockerFleet, podmanFleet, type Fleet } from "./fleet.js";
import type { PodmanStore } from "./peers.js";
import { timeOnce, type TimedCommand } from "./hyperfine.js";
import { prepareMydocker, withTimeout, type Mydocker } from "./mydocker.js";
import { attempt, inTurn } from "./report.js";
import { median, summarize } from "./stats.js";

const TARGET = "mydocker-bench-scale-target";

interface Command {
  label: string;
  args: string[];
  /** podman's command for the same listing, where the issue compares with podman. */
  podman?: string[];
}

const COMMANDS: Command[] = [
  { label: "run --rm busybox true", args: ["run", "--rm", "busybox", "true"] },
  // The same without netavark: what the engine's own work costs.
  { label: "run --rm --network none busybox true", args: ["run", "--rm", "--network", "none", "busybox", "true"] },
  { label: "inspect NAME", args: ["inspect", TARGET] },
  { label: "exec NAME true", args: ["exec", TARGET, "true"] },
  { label: "ps -a", args: ["ps", "-a"], podman: ["ps", "-a"] },
  { label: "stats --no-stream", args: ["stats", "--no-stream"], podman: ["stats", "--no-stream"] },
];

/** A command line measured: this checkout's, or the --baseline one's, on the same roots. */
interface Cli {
  name: string;
  argv(md: Mydocker, args: string[]): string[];
}

/** Samples by key ("phase/cli/root/command"), and their medians. */
class Samples {
  private readonly byKey = new Map<string, TimedCommand[]>();
  add(key: string, t: TimedCommand): void {
    this.byKey.set(key, [...(this.byKey.get(key) ?? []), t]);
  }
  median(key: string): { wall: number; cpu: number; n: number } | undefined {
    const s = this.byKey.get(key);
    return s?.length ? { wall: median(s.map((t) => t.mean)), cpu: median(s.map((t) => t.cpuMs)), n: s.length } : undefined;
  }
}

export async function scale(ctx: BenchContext): Promise<void> {
  const n = ctx.containers;
  const alone = prepareMydocker();
  ctx.onCleanup(() => alone.cleanup());
  const roots = [
    { name: "alone", md: alone },
    { name: "beside", md: ctx.mydocker },
  ];
  const clis: Cli[] = [{ name: "mydocker", argv: (md, args) => md.cli(args) }];
  if (ctx.baseline) clis.push({ name: "baseline", argv: (_md, args) => [`${ctx.baseline}/bin/mydocker`, ...args] });
  const samples = new Samples();
  const failures: string[] = [];

  /** ctx.warmup untimed rounds, then ctx.runs timed ones, each command in both roots in turns. */
  const rounds = (phase: string) => {
    const subjects = clis.flatMap((cli) => roots.map((root) => ({ cli, root })));
    for (let round = 0; round < ctx.warmup + ctx.runs; round++) {
      process.stderr.write(`  ${phase}: round ${round + 1}/${ctx.warmup + ctx.runs}\n`);
      for (const c of COMMANDS.filter((c) => !c.podman)) {
        for (const { cli, root } of inTurn(subjects, round)) {
          const key = `${phase}/${cli.name}/${root.name}/${c.label}`;
          try {
            const t = timeOnce(cli.argv(root.md, c.args), root.md.env);
            if (round >= ctx.warmup) samples.add(key, t);
          } catch (e) {
            failures.push(`${key}: ${(e as Error).message}`);
          }
        }
      }
    }
  };

  // podman's listings, taken in turns with mydocker's in the root beside the N.
  const listings = COMMANDS.filter((c) => c.podman);
  let store: PodmanStore | undefined;
  if (ctx.peers.podmanMissing) failures.push(`podman: ${ctx.peers.podmanMissing}`);
  else {
    const made = await attempt("podman's store", async () => ctx.peers.podmanStore(fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-bench-podman-"))));
    if (made.ok) {
      store = made.value;
      ctx.onCleanup(made.value.cleanup);
    } else failures.push(`podman's store: ${made.reason}`);
  }
  const beside = roots[1]!.md;
  const listingRounds = (phase: string) => {
    if (!store) return;
    const subjects = [
      { key: "mydocker", argv: (c: Command) => beside.cli(c.args), env: beside.env },
      { key: "podman", argv: (c: Command) => [...store!.podman, ...c.podman!], env: process.env },
    ];
    for (let round = 0; round < ctx.warmup + ctx.runs; round++) {
      process.stderr.write(`  listings ${phase}: round ${round + 1}/${ctx.warmup + ctx.runs}\n`);
      for (const c of listings) {
        for (const s of inTurn(subjects, round)) {
          try {
            const t = timeOnce(s.argv(c), s.env);
            if (round >= ctx.warmup) samples.add(`listing/${phase}/${s.key}/${c.label}`, t);
          } catch (e) {
            failures.push(`listing ${phase}: ${s.key} ${c.label}: ${(e as Error).message}`);
          }
        }
      }
    }
  };

  for (const root of roots) {
    const engine = await root.md.engine();
    if (!engine.runDetached) throw new Error("Engine has no runDetached");
    await withTimeout(engine.runDetached({ image: "busybox", cmd: ["sleep", "1000000"], name: TARGET }));
  }
  rounds("before");
  listingRounds("before");
  const made = await attempt(`${n} mydocker containers`, () => mydockerFleet(ctx, n, (done) => process.stderr.write(`  ${done}/${n} mydocker containers made\n`)));
  if (!made.ok) throw new Error(`making ${n} containers: ${made.reason}`);
  rounds("after");
  const pss = [pssLine("mydocker shim", made.value)];
  if (store) {
    const podmans = await attempt(`${n} podman containers`, () => podmanFleet(ctx, store!, n, (done) => process.stderr.write(`  ${done}/${n} podman containers made\n`)));
    if (podmans.ok) {
      listingRounds("after");
      pss.push(pssLine("podman conmon", podmans.value));
      await podmans.value.remove();
    } else failures.push(`podman fleet: ${podmans.reason}`);
  }
  await made.value.remove();
  for (const root of roots) await (await root.md.engine()).remove(TARGET, { force: true });

  printReport(samples, clis, n, ctx.runs);
  console.log("");
  for (const line of pss) console.log(line);
  for (const f of failures) console.log(`failed: ${f}`);
}

function printReport(samples: Samples, clis: Cli[], n: number, runs: number): void {
  const ms = (x: number | undefined) => (x === undefined ? "-" : `${x.toFixed(1)} ms`);
  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? "-" : `${(a / b).toFixed(2)}x`);
  for (const cli of clis) {
    console.log(`\n## scale (${cli.name}): each command alone and beside ${n} containers, medians of ${runs} rounds in turns\n`);
    console.log(`| command | alone | beside ${n} | ratio | CPU alone | CPU beside | CPU ratio | before the ${n}: ratio, CPU ratio | alone, CPU with the ${n} on the host / before | target |`);
    console.log("|---|---|---|---|---|---|---|---|---|---|");
    for (const c of COMMANDS.filter((c) => !c.podman)) {
      const m = (phase: string, root: string) => samples.median(`${phase}/${cli.name}/${root}/${c.label}`);
      const [a, b, a0, b0] = [m("after", "alone"), m("after", "beside"), m("before", "alone"), m("before", "beside")];
      const x = a && b ? b.wall / a.wall : undefined;
      const verdict = x === undefined ? "not measured" : x <= 1.1 ? "met" : "**not met**";
      console.log(
        `| \`${c.label}\` | ${ms(a?.wall)} | ${ms(b?.wall)} | ${ratio(b?.wall, a?.wall)} | ${ms(a?.cpu)} | ${ms(b?.cpu)} | ${ratio(b?.cpu, a?.cpu)} | ${ratio(b0?.wall, a0?.wall)}, ${ratio(b0?.cpu, a0?.cpu)} | ${ratio(a?.cpu, a0?.cpu)} | ≤ 1.1x: ${verdict} |`,
      );
    }
  }
  console.log(`\n## scale: listings against podman's, in turns, with none and then ${n} containers of each (both fleets present)\n`);
  console.log(`| command | mydocker, none | podman, none | mydocker, ${n} | podman, ${n} | ratio | CPU mydocker / podman (ratio) | target |`);
  console.log("|---|---|---|---|---|---|---|---|");
  for (const c of COMMANDS.filter((c) => c.podman)) {
    const m = (phase: string, who: string) => samples.median(`listing/${phase}/${who}/${c.label}`);
    const [ours0, theirs0, ours, theirs] = [m("before", "mydocker"), m("before", "podman"), m("after", "mydocker"), m("after", "podman")];
    const x = ours && theirs ? ours.wall / theirs.wall : undefined;
    const verdict = x === undefined ? "not measured" : x <= 0.5 ? "met" : "**not met**";
    console.log(
      `| \`${c.label}\` | ${ms(ours0?.wall)} | ${ms(theirs0?.wall)} | ${ms(ours?.wall)} | ${ms(theirs?.wall)} | ${ratio(ours?.wall, theirs?.wall)} | ${ms(ours?.cpu)} / ${ms(theirs?.cpu)} (${ratio(ours?.cpu, theirs?.cpu)}) | ≤ 0.5x podman: ${verdict} |`,
    );
  }
}

function pssLine(subject: string, fleet: Fleet): string {
  try {
    const each = fleet.monitorPss();
    const s = summarize(each);
    const total = each.reduce((a, b) => a + b, 0);
    return `${subject}: ${each.length} monitors, PSS each ${s.mean.toFixed(0)} ± ${s.stddev.toFixed(0)} kB, total ${(total / 1024).toFixed(1)} MiB`;
  } catch (e) {
    return `${subject}: PSS not measured: ${(e as Error).message}`;
  }
}
