// What every benchmark gets: the prepared subjects, the run counts, and a place to register cleanups.
import type { Mydocker } from "./mydocker.js";
import type { Peers } from "./peers.js";

export interface BenchContext {
  peers: Peers;
  mydocker: Mydocker;
  /** Timed runs per subject (startup) and warm-up runs before them. */
  runs: number;
  warmup: number;
  /** Timed batches per subject (many). */
  rounds: number;
  /** Detached containers kept running beside the commands timed by `scale`. */
  containers: number;
  /** Another mydocker checkout (built), timed by `scale` on the same containers: an A/B in one run. */
  baseline?: string;
  /** NODE_EXTRA_CA_CERTS as the caller had it, taken out of every subject's environment. */
  extraCaCerts: string | undefined;
  /** Registers undo for something created mid-benchmark; call the returned function once it is undone. */
  onCleanup(undo: () => void): () => void;
}
