// `npm run bench [startup|monitor|many|scale|seccomp|myrunc|cli ...] [--runs N] [--warmup N] [--rounds N]
// [--containers N] [--baseline DIR]`:
// runs the benchmarks, each comparing mydocker with its peers in the same run.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import type { BenchContext } from "./context.js";
import { cli } from "./cli.js";
import { many } from "./many.js";
import { monitor } from "./monitor.js";
import { myrunc } from "./myrunc.js";
import { prepareMydocker } from "./mydocker.js";
import { inBenchNamespace, reexecInBenchNamespace } from "./namespace.js";
import { preparePeers } from "./peers.js";
import { scale } from "./scale.js";
import { seccomp } from "./seccomp.js";
import { startup } from "./startup.js";

const BENCHMARKS: Record<string, (ctx: BenchContext) => Promise<void>> = { startup, monitor, many, scale, seccomp, myrunc, cli };
/** What runs when none is named: scale makes thousands of containers, myrunc starts a containerd; they run only when asked for. */
const DEFAULT = ["startup", "monitor", "many"];

function count(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} wants an integer of at least ${min}, got "${value}"`);
  return n;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      runs: { type: "string", default: "30" },
      warmup: { type: "string", default: "3" },
      rounds: { type: "string", default: "3" },
      containers: { type: "string", default: "1000" },
      baseline: { type: "string" },
    },
  });
  const runs = count("runs", values.runs, 2);
  const warmup = count("warmup", values.warmup, 0);
  const rounds = count("rounds", values.rounds, 1);
  const containers = count("containers", values.containers, 1);
  const baseline = values.baseline === undefined ? undefined : path.resolve(values.baseline);
  if (baseline && !fs.existsSync(path.join(baseline, "bin/mydocker"))) {
    console.error(`--baseline ${values.baseline}: no bin/mydocker there (give a built mydocker checkout)`);
    return 2;
  }
  const names = positionals.length > 0 ? positionals : DEFAULT;
  const unknown = names.filter((n) => !(n in BENCHMARKS));
  if (unknown.length > 0) {
    console.error(`unknown benchmark ${unknown.join(", ")}: choose from ${Object.keys(BENCHMARKS).join(", ")}`);
    return 2;
  }
  if (process.getuid?.() !== 0) {
    console.error("the benchmarks need root (namespaces, mounts, cgroups): run them with sudo");
    return 1;
  }
  if (!inBenchNamespace()) return reexecInBenchNamespace();
  const extraCaCerts = takeExtraCaCerts();

  const undo = new Set<() => void>();
  const cleanupAll = () => {
    for (const fn of [...undo].reverse()) {
      undo.delete(fn);
      fn();
    }
  };
  const onSignal = () => {
    cleanupAll();
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    process.stderr.write("preparing the busybox rootfs, bundle and podman image...\n");
    const peers = preparePeers();
    undo.add(() => peers.cleanup());
    const mydocker = prepareMydocker();
    undo.add(() => mydocker.cleanup());
    const ctx: BenchContext = {
      peers,
      mydocker,
      runs,
      warmup,
      rounds,
      containers,
      baseline,
      extraCaCerts,
      onCleanup(fn) {
        undo.add(fn);
        return () => undo.delete(fn);
      },
    };
    for (const name of names) await BENCHMARKS[name](ctx);
    return 0;
  } finally {
    cleanupAll();
  }
}

/**
 * Every subject runs without NODE_EXTRA_CA_CERTS, as on a fresh Debian machine: with it set,
 * Node parses that CA bundle before running any JavaScript, which on some machines costs
 * every Node process tens of milliseconds. The startup benchmark shows that cost on its own row.
 */
function takeExtraCaCerts(): string | undefined {
  const value = process.env["NODE_EXTRA_CA_CERTS"];
  delete process.env["NODE_EXTRA_CA_CERTS"];
  return value || undefined;
}

process.exitCode = await main();
