// Fake cgroupfs trees for the drivers' unit tests: directories and files laid out the
// way the kernel lays them out, with the kernel's initial values. A real cgroupfs makes
// these files itself on mkdir; here the test makes them for every cgroup it will use.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const UNLIMITED = "9223372036854771712";

const V1_FILES: Record<string, Record<string, string>> = {
  cpu: { "cpu.shares": "1024", "cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "-1", "cpu.idle": "0" },
  cpuacct: { "cpuacct.usage": "0" },
  cpuset: { "cpuset.cpus": "", "cpuset.mems": "" },
  memory: {
    "memory.limit_in_bytes": UNLIMITED,
    "memory.memsw.limit_in_bytes": UNLIMITED,
    "memory.soft_limit_in_bytes": UNLIMITED,
    "memory.usage_in_bytes": "0",
    "memory.stat": "cache 0\ntotal_inactive_file 0",
    "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0",
    "memory.swappiness": "60",
  },
  devices: { "devices.allow": "", "devices.deny": "" },
  freezer: { "freezer.state": "THAWED" },
  blkio: { "blkio.throttle.io_service_bytes_recursive": "Total 0", "blkio.throttle.read_bps_device": "" },
  pids: { "pids.max": "max", "pids.current": "0" },
};

const V2_FILES: Record<string, string> = {
  "cgroup.procs": "",
  "cgroup.subtree_control": "",
  "cgroup.events": "populated 0\nfrozen 0",
  "cgroup.freeze": "0",
  "memory.max": "max",
  "memory.swap.max": "max",
  "memory.low": "0",
  "memory.high": "max",
  "memory.current": "0",
  "memory.stat": "anon 0\ninactive_file 0",
  "memory.events": "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0",
  "cpu.weight": "100",
  "cpu.max": "max 100000",
  "cpu.stat": "usage_usec 0",
  "cpuset.cpus": "",
  "cpuset.mems": "",
  "pids.max": "max",
  "pids.current": "0",
  "io.weight": "default 100",
  "io.max": "",
  "io.stat": "",
};

function lay(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

export function tempRoot(): string {
  return mkdtempSync(join(tmpdir(), "mydocker-fake-cgroupfs-"));
}

/** One hierarchy per subsystem below root; returns the driver's mounts option. */
export function fakeV1Mounts(root: string): Record<string, string> {
  return Object.fromEntries(Object.keys(V1_FILES).map((s) => [s, join(root, s)]));
}

/** The cgroup rel in every hierarchy, as the kernel would create it. */
export function fakeV1Cgroup(root: string, rel: string): void {
  for (const [subsystem, files] of Object.entries(V1_FILES)) lay(join(root, subsystem, rel), { "cgroup.procs": "", ...files });
}

/** A v2 cgroup at rel ("" for the root) offering controllers to its children. */
export function fakeV2Cgroup(root: string, rel: string, controllers: string): void {
  lay(join(root, rel), { ...V2_FILES, "cgroup.controllers": controllers });
}

export function read(root: string, ...path: string[]): string {
  return readFileSync(join(root, ...path), "utf8");
}

export function write(root: string, path: string, text: string): void {
  writeFileSync(join(root, path), text);
}
