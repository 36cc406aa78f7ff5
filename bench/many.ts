// Issue 5: throughput. 50 containers run to exit (`true`), 8 at a time, through mydocker's
// library from one Node process, beside `runc run` (and `crun run`) started the same way.
import type { BenchContext } from "./context.js";
import { pool, runAsync } from "./exec.js";
import { runTrue } from "./mydocker.js";
import { measure, printTable, printTarget, type Row } from "./report.js";
import { msSince, summarize, type Stats } from "./stats.js";

const COUNT = 50;
const CONCURRENCY = 8;

/** Runs container number i of a batch tagged tag. Ids must differ within a batch. */
type RunOne = (tag: string, i: number) => Promise<void>;

export async function many(ctx: BenchContext): Promise<void> {
  const { peers, mydocker } = ctx;
  const oci = (runtime: "crun" | "runc", missing: string | undefined) => async () => {
    if (missing) throw new Error(missing);
    return timeBatches(ctx, (tag, i) => runAsync(peers.ociRun(runtime, `mydocker-bench-${tag}-${i}`)));
  };
  const rows: Row[] = [
    await measure("runc", oci("runc", peers.runcMissing)),
    await measure("crun", oci("crun", peers.crunMissing)),
    await measure("mydocker library", async () => {
      const engine = await mydocker.engine();
      return timeBatches(ctx, () => runTrue(engine));
    }),
  ];
  printTable(`many: ${COUNT} containers of true, ${CONCURRENCY} at a time (time per batch)`, "ms", rows, ["runc"]);
  printTarget(rows, "mydocker library", "runc", 1.0);
}

/** One unmeasured warm-up batch of CONCURRENCY containers, then ctx.rounds timed batches of COUNT. */
async function timeBatches(ctx: BenchContext, runOne: RunOne): Promise<Stats> {
  await pool(CONCURRENCY, CONCURRENCY, (i) => runOne("warmup", i));
  const samples: number[] = [];
  for (let round = 0; round < ctx.rounds; round++) {
    const start = process.hrtime.bigint();
    await pool(COUNT, CONCURRENCY, (i) => runOne(`r${round}`, i));
    samples.push(msSince(start));
  }
  return summarize(samples);
}
