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
  /** Registers undo for something created mid-benchmark; call the returned function once it is undone. */
  onCleanup(undo: () => void): () => void;
}
