// docker's stats JSON (StatsResponse): what `docker stats` and the SDKs compute CPU %, memory,
// network, block I/O and PIDs from.
import os from "node:os";
import type { StatsSample } from "../../engine/containers/resources.js";
import type { InterfaceCounters } from "../../engine/containers/net-stats.js";

interface CpuStats {
  cpu_usage: { total_usage: number; percpu_usage?: number[]; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage: number;
  online_cpus: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

type CpuDetail = NonNullable<StatsSample["stats"]["cpu"]>;

const ZERO_TIME = "0001-01-01T00:00:00Z";

/** detail: undefined before the first reading (precpu of the first object): zeros. */
function cpuStats(total: number, system: number, detail?: CpuDetail): CpuStats {
  return {
    cpu_usage: {
      total_usage: total,
      // As dockerd: only cgroup v1 counts per CPU; on v2 the field is left out.
      ...(detail?.perCpuNanos ? { percpu_usage: detail.perCpuNanos } : {}),
      usage_in_kernelmode: detail?.kernelNanos ?? 0,
      usage_in_usermode: detail?.userNanos ?? 0,
    },
    system_cpu_usage: system,
    online_cpus: os.cpus().length,
    throttling_data: { periods: detail?.periods ?? 0, throttled_periods: detail?.throttledPeriods ?? 0, throttled_time: detail?.throttledNanos ?? 0 },
  };
}

/**
 * One stats object. Without an earlier sample, precpu_stats is the container as its run
 * started (no CPU used, the host's CPU time back then): the first object already gives its
 * CPU share since it started, with no second to wait for a second reading.
 */
export function statsJson(id: string, name: string, cur: StatsSample | undefined, prev: StatsSample | undefined, networks: Record<string, InterfaceCounters> | undefined) {
  const s = cur?.stats;
  const ncpu = os.cpus().length;
  const pre = prev
    ? cpuStats(prev.stats.cpuUsageNanos, prev.system, prev.stats.cpu)
    : cur
      ? cpuStats(0, Math.max(0, cur.system - Math.max(0, cur.at - cur.startedAt) * 1e6 * ncpu))
      : cpuStats(0, 0);
  const io = (op: string, value: number) => ({ major: 0, minor: 0, op, value });
  return {
    name: `/${name}`,
    id,
    read: cur ? new Date(cur.at).toISOString() : ZERO_TIME,
    preread: prev ? new Date(prev.at).toISOString() : ZERO_TIME,
    pids_stats: { current: s?.pids ?? 0 },
    blkio_stats: {
      io_service_bytes_recursive: s ? [io("read", s.blkioReadBytes), io("write", s.blkioWriteBytes)] : null,
      io_serviced_recursive: null,
      io_queue_recursive: null,
      io_service_time_recursive: null,
      io_wait_time_recursive: null,
      io_merged_recursive: null,
      io_time_recursive: null,
      sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cur ? cpuStats(s!.cpuUsageNanos, cur.system, s!.cpu) : cpuStats(0, 0),
    precpu_stats: pre,
    memory_stats: s ? { usage: s.memoryUsage, limit: s.memoryLimit, stats: {} } : {},
    ...(networks ? { networks } : {}),
  };
}
