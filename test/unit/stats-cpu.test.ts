// stats' CPU %: over the interval between two readings, or, for the first reading (all that
// --no-stream takes), over the container's run so far.
import { test } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import { cpuPercent, type StatsSample } from "../../src/engine/containers/resources.js";

const sample = (cpuNanos: number, system: number, at: number, startedAt = 0): StatsSample => ({
  id: "c",
  name: "c",
  stats: { cpuUsageNanos: cpuNanos, memoryUsage: 0, memoryLimit: 0, pids: 1, blkioReadBytes: 0, blkioWriteBytes: 0 },
  system,
  at,
  startedAt,
});

test("the first reading: the share of one CPU since the run started", () => {
  // Half a second of CPU in the 2 s since it started: 25%.
  assert.equal(cpuPercent(undefined, sample(0.5e9, 0, 12_000, 10_000)), 25);
  // Read the very moment it started: nothing to divide by.
  assert.equal(cpuPercent(undefined, sample(1e6, 0, 10_000, 10_000)), 0);
});

test("between two readings: docker's share of all CPUs' time, times the CPU count", () => {
  const prev = sample(1e9, 100e9, 0);
  const cur = sample(1.5e9, 100e9 + 1e9, 500);
  const cpus = os.cpus().length;
  assert.equal(cpuPercent(prev, cur), (0.5e9 / 1e9) * cpus * 100);
});
