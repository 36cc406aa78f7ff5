// Summary statistics over repeated measurements.

export interface Stats {
  mean: number;
  stddev: number;
  runs: number;
}

export function summarize(samples: number[]): Stats {
  const n = samples.length;
  if (n === 0) throw new Error("no samples");
  const mean = samples.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? samples.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, stddev: Math.sqrt(variance), runs: n };
}

/** Milliseconds elapsed since start (a process.hrtime.bigint() reading). */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** The middle value (the upper of the two middle ones for an even count): a few stalls of a shared machine do not move it. */
export function median(samples: number[]): number {
  if (samples.length === 0) throw new Error("no samples");
  return [...samples].sort((a, b) => a - b)[samples.length >> 1]!;
}
