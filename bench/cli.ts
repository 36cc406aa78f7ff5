// `npm run bench cli [--runs N] [--baseline DIR]`: what a mydocker command costs to start
// (issue 12's `run -d -p` is mostly that): `version`, `ps`, `images` and `run -d --network
// none`, each with and without NODE_EXTRA_CA_CERTS in the caller's environment, through
// bin/mydocker as a user runs it. With --baseline, the same commands through that checkout's
// bin/mydocker, in turns with this one's, on the same roots: an A/B in one run. Medians of
// the wall time and of the CPU time (the command and the children it waited for).
import type { BenchContext } from "./context.js";
import { runSync } from "./exec.js";
import { timeOnce } from "./hyperfine.js";
import { inTurn, PairedTable } from "./report.js";
import { median } from "./stats.js";

const COMMANDS: { name: string; args: string[]; detached?: boolean }[] = [
  { name: "version", args: ["version"] },
  { name: "ps", args: ["ps"] },
  { name: "images", args: ["images"] },
  { name: "run -d --network none", args: ["run", "-d", "--network", "none", "busybox", "sleep", "100"], detached: true },
];

export async function cli(ctx: BenchContext): Promise<void> {
  const { mydocker, baseline, extraCaCerts } = ctx;
  const env = mydocker.env;
  // The image made (from the host's busybox) before anything is timed.
  const made = runSync(mydocker.cli(["run", "--rm", "--network", "none", "busybox", "true"]), env);
  if (made.status !== 0) throw new Error(`mydocker run: ${made.stderr}`);
  const subjects = [{ name: "mydocker", bin: mydocker.cli([])[0]! }, ...(baseline ? [{ name: "baseline", bin: `${baseline}/bin/mydocker` }] : [])];
  const cas = extraCaCerts ? [undefined, extraCaCerts] : [undefined];
  const wall = new PairedTable("mydocker", baseline ? "baseline" : "mydocker");
  const cpu = new PairedTable("mydocker", baseline ? "baseline" : "mydocker");
  const node = cas.map(() => [] as number[]);
  for (let round = 0; round < ctx.warmup + ctx.runs; round++) {
    const timed = round >= ctx.warmup;
    for (const [i, ca] of cas.entries()) {
      const caseEnv = ca ? { ...env, NODE_EXTRA_CA_CERTS: ca } : env;
      const n = timeOnce([process.execPath, "-e", "0"], caseEnv);
      if (timed) node[i]!.push(n.mean);
      for (const cmd of COMMANDS) {
        for (const s of inTurn(subjects, round)) {
          const t = timeOnce([s.bin, ...cmd.args], caseEnv);
          const name = `${cmd.name}${ca ? ", NODE_EXTRA_CA_CERTS set" : ""}`;
          if (timed) {
            wall.add(name, s.name, t.mean, { unit: "ms" });
            cpu.add(name, s.name, t.cpuMs, { unit: "ms" });
          }
          if (cmd.detached) removeAll(mydocker.cli([]), env);
        }
      }
    }
  }
  const nodeStart = node.map((samples, i) => `${median(samples).toFixed(1)} ms${cas[i] ? " with NODE_EXTRA_CA_CERTS" : ""}`).join(", ");
  process.stdout.write(`\ncli: a command's start, medians of ${ctx.runs} runs in turns${baseline ? ` (baseline: ${baseline})` : ""}; node -e 0: ${nodeStart}\n\nwall time\n\n`);
  wall.print();
  process.stdout.write("\nCPU time\n\n");
  cpu.print();
}

function removeAll(bin: string[], env: NodeJS.ProcessEnv): void {
  const ids = runSync([...bin, "ps", "-aq"], env).stdout.split("\n").filter(Boolean);
  if (ids.length > 0) runSync([...bin, "rm", "-f", ...ids], env);
}
