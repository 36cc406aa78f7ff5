// Issue 2: the time to run a container to exit, `run --rm busybox true`, for every runtime.
import type { BenchContext } from "./context.js";
import { hyperfine } from "./hyperfine.js";
import { runTrue } from "./mydocker.js";
import { PODMAN_IMAGE } from "./peers.js";
import { measure, printTable, printTarget, type Row } from "./report.js";
import { msSince, summarize, type Stats } from "./stats.js";

export async function startup(ctx: BenchContext): Promise<void> {
  const { peers, mydocker, runs, warmup } = ctx;
  const opts = { runs, warmup };
  const external = (missing: string | undefined, argv: string[], env?: NodeJS.ProcessEnv) => () => {
    if (missing) throw new Error(missing);
    return hyperfine(argv, { ...opts, env });
  };
  const rows: Row[] = [
    await measure("node -e 0", external(undefined, [process.execPath, "-e", "0"])),
    await measure("crun", external(peers.crunMissing, peers.ociRun("crun", "mydocker-bench-startup"))),
    await measure("runc", external(peers.runcMissing, peers.ociRun("runc", "mydocker-bench-startup"))),
    await measure(
      "podman",
      external(peers.podmanMissing, peers.podmanRun(["--rm", PODMAN_IMAGE, "true"])),
    ),
    await measure("mydocker CLI", external(undefined, mydocker.cli(["run", "--rm", "busybox", "true"]), mydocker.env)),
    await measure("mydocker library", async () => timeLibrary(ctx)),
  ];
  printTable("startup: run /bin/true in busybox to exit", "ms", rows, ["crun", "podman"]);
  printTarget(rows, "mydocker CLI", "podman", 0.5);
  printTarget(rows, "mydocker library", "crun", 1.0);
}

/** Engine.run called over and over from this one Node process: no Node startup in the number. */
async function timeLibrary(ctx: BenchContext): Promise<Stats> {
  const engine = await ctx.mydocker.engine();
  for (let i = 0; i < ctx.warmup; i++) await runTrue(engine);
  const samples: number[] = [];
  for (let i = 0; i < ctx.runs; i++) {
    const start = process.hrtime.bigint();
    await runTrue(engine);
    samples.push(msSince(start));
  }
  return summarize(samples);
}
