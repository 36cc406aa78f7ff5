// Issue 2: the time to run a container to exit, `run --rm busybox true`, for every runtime.
import type { BenchContext } from "./context.js";
import { hyperfine } from "./hyperfine.js";
import { runTrue } from "./mydocker.js";
import { PODMAN_IMAGE } from "./peers.js";
import { measure, printTable, printTarget, type Row } from "./report.js";
import { msSince, summarize, type Stats } from "./stats.js";

const LIBRARY_WARMUP = 20;
const LIBRARY_SAMPLES_PER_RUN = 10;

export async function startup(ctx: BenchContext): Promise<void> {
  const { peers, mydocker, runs, warmup } = ctx;
  const opts = { runs, warmup };
  const external = (missing: string | undefined, argv: string[], env?: NodeJS.ProcessEnv) => () => {
    if (missing) throw new Error(missing);
    return hyperfine(argv, { ...opts, env });
  };
  // The same work as the peers': crun's bundle and podman's run have a network namespace with
  // nothing in it. The default bridge's cost is bench/network.ts's, against podman's bridge.
  const cli = mydocker.cli(["run", "--rm", "--network", "none", "busybox", "true"]);
  const rows: Row[] = [
    await measure("node -e 0", external(undefined, [process.execPath, "-e", "0"])),
    await measure("crun", external(peers.crunMissing, peers.ociRun("crun", "mydocker-bench-startup"))),
    await measure("runc", external(peers.runcMissing, peers.ociRun("runc", "mydocker-bench-startup"))),
    await measure(
      "podman",
      external(peers.podmanMissing, peers.podmanRun(["--rm", PODMAN_IMAGE, "true"])),
    ),
    await measure("mydocker CLI", external(undefined, cli, mydocker.env)),
    await measure("mydocker library", async () => timeLibrary(ctx)),
    await measure("mydocker CLI, default bridge", external(undefined, mydocker.cli(["run", "--rm", "busybox", "true"]), mydocker.env)),
  ];
  if (ctx.extraCaCerts) {
    const env = { ...mydocker.env, NODE_EXTRA_CA_CERTS: ctx.extraCaCerts };
    rows.push(await measure("mydocker CLI, NODE_EXTRA_CA_CERTS set", external(undefined, cli, env)));
    rows.push(await measure("node -e 0, NODE_EXTRA_CA_CERTS set", external(undefined, [process.execPath, "-e", "0"], env)));
  }
  printTable("startup: run /bin/true in busybox to exit", "ms", rows, ["crun", "podman"]);
  printTarget(rows, "mydocker CLI", "podman", 0.5);
  printTarget(rows, "mydocker library", "crun", 1.0);
  if (ctx.extraCaCerts) console.log(`(every subject ran without NODE_EXTRA_CA_CERTS=${ctx.extraCaCerts}; the rows marked "set" show what it costs a Node process here)`);
}

/**
 * Engine.run called over and over from this one Node process: no Node startup in the number.
 * A program that keeps running has its JIT warm, and a few runs do not warm it: the warmup
 * is at least LIBRARY_WARMUP runs. A run takes milliseconds, so it is sampled
 * LIBRARY_SAMPLES_PER_RUN times as often as the commands, for a steadier mean.
 */
async function timeLibrary(ctx: BenchContext): Promise<Stats> {
  const engine = await ctx.mydocker.engine();
  for (let i = 0; i < Math.max(ctx.warmup, LIBRARY_WARMUP); i++) await runTrue(engine);
  const samples: number[] = [];
  for (let i = 0; i < ctx.runs * LIBRARY_SAMPLES_PER_RUN; i++) {
    const start = process.hrtime.bigint();
    await runTrue(engine);
    samples.push(msSince(start));
  }
  return summarize(samples);
}
