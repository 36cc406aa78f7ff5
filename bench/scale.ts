// Issue 18: the cost of a command with N detached containers running beside it, against
// the same command with none. Every command is timed through the command line (hyperfine);
// `ps -a` and `stats --no-stream` also against podman's with the same N containers.
import type { BenchContext } from "./context.js";
import { mydockerFleet, podmanFleet, type Fleet } from "./fleet.js";
import { hyperfine } from "./hyperfine.js";
import { withTimeout } from "./mydocker.js";
import { attempt, printTable, printTarget, toRow, type Attempt, type Row } from "./report.js";
import { summarize } from "./stats.js";

const TARGET = "mydocker-bench-scale-target";

interface Command {
  label: string;
  args: string[];
  /** podman's command for the same listing, where the issue compares with podman. */
  podman?: string[];
}

const COMMANDS: Command[] = [
  { label: "run --rm busybox true", args: ["run", "--rm", "busybox", "true"] },
  { label: "inspect NAME", args: ["inspect", TARGET] },
  { label: "exec NAME true", args: ["exec", TARGET, "true"] },
  { label: "ps -a", args: ["ps", "-a"], podman: ["ps", "-a"] },
  { label: "stats --no-stream", args: ["stats", "--no-stream"], podman: ["stats", "--no-stream"] },
];

/** A mydocker command line measured: this checkout's, or the --baseline one's on the same roots. */
interface Subject {
  name: string;
  cli(args: string[]): string[];
}

export async function scale(ctx: BenchContext): Promise<void> {
  const { mydocker, containers: n } = ctx;
  const opts = { runs: ctx.runs, warmup: ctx.warmup };
  const subjects: Subject[] = [{ name: "mydocker", cli: mydocker.cli }];
  if (ctx.baseline) subjects.push({ name: "baseline", cli: (args) => [`${ctx.baseline}/bin/mydocker`, ...args] });
  const rows = new Map<string, Row[]>(COMMANDS.map((c) => [c.label, []]));
  const timeAll = async (tag: string, target: () => Promise<void>) => {
    const ready = await attempt(`the target container (${tag})`, target);
    for (const s of subjects) {
      for (const c of COMMANDS) {
        const subject = `${s.name}, ${tag}`;
        const timed = ready.ok ? await attempt(`${subject}: ${c.label}`, () => hyperfine(s.cli(c.args), { ...opts, env: mydocker.env })) : ready;
        rows.get(c.label)!.push(toRow(subject, timed));
      }
    }
  };
  const progress = (what: string) => (done: number) => process.stderr.write(`  ${done}/${n} ${what} containers made\n`);

  // mydocker: one target container, then N more beside it.
  const engine = await mydocker.engine();
  let targetMade = false;
  const makeTarget = async () => {
    if (targetMade) return;
    const runDetached = engine.runDetached?.bind(engine);
    if (!runDetached) throw new Error("Engine has no runDetached");
    await withTimeout(runDetached({ image: "busybox", cmd: ["sleep", "1000000"], name: TARGET }));
    targetMade = true;
  };
  await timeAll("0 more", makeTarget);
  const pss: Row[] = [];
  let totals: string[] = [];
  const made = await attempt(`${n} mydocker containers`, () => mydockerFleet(ctx, n, progress("mydocker")));
  await timeAll(`${n} more`, async () => {
    if (!made.ok) throw new Error(made.reason);
    await makeTarget();
  });
  if (made.ok) totals = recordPss(pss, "mydocker shim", made.value, totals);
  else pss.push(toRow("mydocker shim", made));
  if (made.ok) await made.value.remove();
  if (targetMade) await engine.remove(TARGET, { force: true }).catch((e: Error) => process.stderr.write(`  removing ${TARGET}: ${e.message}\n`));

  // podman: the listings with none of its containers, then with N.
  const podmanRows = async (tag: string, ready: Attempt<unknown>) => {
    for (const c of COMMANDS) {
      if (!c.podman) continue;
      const argv = ["podman", ...c.podman];
      const timed = ready.ok
        ? await attempt(`podman, ${tag}: ${c.label}`, () => {
            if (ctx.peers.podmanMissing) throw new Error(ctx.peers.podmanMissing);
            return hyperfine(argv, opts);
          })
        : ready;
      rows.get(c.label)!.push(toRow(`podman, ${tag}`, timed));
    }
  };
  await podmanRows("0 more", { ok: true, value: undefined });
  const podmans = await attempt(`${n} podman containers`, () => podmanFleet(ctx, n, progress("podman")));
  await podmanRows(`${n} more`, podmans);
  if (podmans.ok) {
    totals = recordPss(pss, "podman conmon", podmans.value, totals);
    await podmans.value.remove();
  } else pss.push(toRow("podman conmon", podmans));

  const title = (c: Command) => `scale: ${c.label}, beside 0 and ${n} detached containers`;
  for (const c of COMMANDS) {
    const r = rows.get(c.label)!;
    printTable(title(c), "ms", r, ["mydocker, 0 more", ...(c.podman ? [`podman, ${n} more`] : [])]);
    if (c.podman) printTarget(r, `mydocker, ${n} more`, `podman, ${n} more`, 0.5);
    else printTarget(r, `mydocker, ${n} more`, "mydocker, 0 more", 1.1);
    if (ctx.baseline && !c.podman) printTarget(r, `baseline, ${n} more`, "baseline, 0 more", 1.1);
    printCpu(r, n);
  }
  printTable(`scale: PSS of each of ${n} detached containers' monitors`, "kB", pss, ["podman conmon"]);
  for (const line of totals) console.log(line);
}

/**
 * The CPU time each command took (its waited-for children included): on a machine that
 * others load, wall times swing with them, while the work a command does stays put.
 */
function printCpu(rows: Row[], n: number): void {
  const cpu = new Map(rows.flatMap((r) => (r.outcome.ok && "cpuMs" in r.outcome ? [[r.subject, r.outcome.cpuMs as number] as const] : [])));
  if (cpu.size === 0) return;
  console.log(`CPU time (user + system) per run, ms: ${[...cpu].map(([s, ms]) => `${s} ${ms.toFixed(1)}`).join("; ")}`);
  for (const who of ["mydocker", "baseline"]) {
    const none = cpu.get(`${who}, 0 more`);
    const many = cpu.get(`${who}, ${n} more`);
    if (none && many) console.log(`CPU time: ${who}, ${n} more / 0 more = ${(many / none).toFixed(2)}x`);
  }
}

function recordPss(rows: Row[], subject: string, fleet: Fleet, lines: string[]): string[] {
  try {
    const each = fleet.monitorPss();
    rows.push(toRow(subject, { ok: true, value: summarize(each) }));
    const total = each.reduce((a, b) => a + b, 0);
    return [...lines, `${subject}: ${each.length} monitors, total PSS ${(total / 1024).toFixed(1)} MiB`];
  } catch (e) {
    rows.push(toRow(subject, { ok: false, reason: (e as Error).message }));
    return lines;
  }
}
