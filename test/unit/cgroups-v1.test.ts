// The v1 driver's translation of linux.resources into kernel files, and of kernel
// files into stats, against a fake cgroupfs (the real kernel: test/integration).
import assert from "node:assert/strict";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { totalmem } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { V1Driver } from "../../src/cgroups/index.js";
import { prefetchedReader } from "../../src/cgroups/fs.js";
import { PrefetchedFiles } from "../../src/util/prefetched-files.js";
import { fakeV1Cgroup, fakeV1Mounts, read, tempRoot, write } from "./cgroups-fake-tree.js";

const MiB = 1024 * 1024;

describe("cgroup v1 driver (fake cgroupfs)", () => {
  let root: string;
  let driver: V1Driver;

  beforeEach(() => {
    root = tempRoot();
    driver = new V1Driver({ mounts: fakeV1Mounts(root) });
    fakeV1Cgroup(root, "mydocker/c1");
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("writes memory, cpu, cpuset and pids limits in the kernel's units", () => {
    driver.create("/mydocker/c1", {
      memory: { limit: 32 * MiB, swap: 64 * MiB, reservation: 16 * MiB },
      cpu: { shares: 512, quota: 25000, period: 50000, cpus: "0", mems: "0" },
      pids: { limit: 20 },
    });
    assert.equal(read(root, "memory/mydocker/c1/memory.limit_in_bytes"), String(32 * MiB));
    assert.equal(read(root, "memory/mydocker/c1/memory.memsw.limit_in_bytes"), String(64 * MiB));
    assert.equal(read(root, "memory/mydocker/c1/memory.soft_limit_in_bytes"), String(16 * MiB));
    assert.equal(read(root, "cpu/mydocker/c1/cpu.shares"), "512");
    assert.equal(read(root, "cpu/mydocker/c1/cpu.cfs_quota_us"), "25000");
    assert.equal(read(root, "cpu/mydocker/c1/cpu.cfs_period_us"), "50000");
    assert.equal(read(root, "cpuset/mydocker/c1/cpuset.cpus"), "0");
    assert.equal(read(root, "pids/mydocker/c1/pids.max"), "20");
  });

  it("writes hugepageLimits into the hugetlb hierarchy, and names the field where it is not mounted", () => {
    const withHugetlb = new V1Driver({ mounts: { ...fakeV1Mounts(root), hugetlb: join(root, "hugetlb") } });
    mkdirSync(join(root, "hugetlb/mydocker/c1"), { recursive: true });
    write(root, "hugetlb/mydocker/c1/hugetlb.1GB.limit_in_bytes", "-1");
    withHugetlb.create("mydocker/c1", { hugepageLimits: [{ pageSize: "1GB", limit: 1024 * MiB }] });
    assert.equal(read(root, "hugetlb/mydocker/c1/hugetlb.1GB.limit_in_bytes"), String(1024 * MiB));
    assert.throws(() => driver.create("mydocker/c1", { hugepageLimits: [{ pageSize: "2MB", limit: 2 * MiB }] }), /linux\.resources\.hugepageLimits: the hugetlb cgroup controller is not mounted/);
  });

  it("writes unlimited values the way the kernel spells them", () => {
    const cg = driver.create("mydocker/c1", { memory: { limit: -1 }, pids: { limit: -1 } });
    assert.equal(read(root, "memory/mydocker/c1/memory.limit_in_bytes"), "-1");
    assert.equal(read(root, "memory/mydocker/c1/memory.memsw.limit_in_bytes"), "-1", "memsw may not stay below an unlimited memory");
    assert.equal(read(root, "pids/mydocker/c1/pids.max"), "max");
    assert.equal(cg.stats().memoryLimit, totalmem());
  });

  it("writes device rules, an absent number meaning all", () => {
    driver.create("mydocker/c1", { devices: [{ allow: true, type: "c", major: 1, minor: 3, access: "rwm" }] });
    assert.equal(read(root, "devices/mydocker/c1/devices.allow"), "c 1:3 rwm");
    driver.create("mydocker/c1", { devices: [{ allow: false, access: "rwm" }] });
    assert.equal(read(root, "devices/mydocker/c1/devices.deny"), "a *:* rwm");
  });

  it("writes blkio.weight only where the kernel has it", () => {
    driver.create("mydocker/c1", { blockIO: { weight: 500 } });
    assert.equal(existsSync(join(root, "blkio/mydocker/c1/blkio.weight")), false);
    write(root, "blkio/mydocker/c1/blkio.weight", "100");
    driver.create("mydocker/c1", { blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }] } });
    assert.equal(read(root, "blkio/mydocker/c1/blkio.weight"), "500");
    assert.equal(read(root, "blkio/mydocker/c1/blkio.throttle.read_bps_device"), "8:0 1048576");
  });

  it("reads stats as docker reports them", () => {
    const cg = driver.create("mydocker/c1", { memory: { limit: 256 * MiB } });
    write(root, "memory/mydocker/c1/memory.usage_in_bytes", String(100 * MiB));
    write(root, "memory/mydocker/c1/memory.stat", `cache ${40 * MiB}\ntotal_inactive_file ${30 * MiB}\n`);
    write(root, "memory/mydocker/c1/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
    write(root, "cpuacct/mydocker/c1/cpuacct.usage", "1500000000\n");
    write(root, "pids/mydocker/c1/pids.current", "7\n");
    write(root, "blkio/mydocker/c1/blkio.throttle.io_service_bytes_recursive", "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:16 Read 1024\nTotal 13312\n");
    assert.deepEqual(cg.stats(), {
      cpuUsageNanos: 1.5e9,
      memoryUsage: 70 * MiB,
      memoryLimit: 256 * MiB,
      pids: 7,
      blkioReadBytes: 5120,
      blkioWriteBytes: 8192,
      oomKills: 2,
    });
  });

  it("reads the same stats from its files read beforehand, for many cgroups at once, as one at a time", () => {
    const cg = driver.create("mydocker/c1", { memory: { limit: 256 * MiB } });
    write(root, "memory/mydocker/c1/memory.usage_in_bytes", `${100 * MiB}\n`);
    write(root, "memory/mydocker/c1/memory.stat", `cache ${40 * MiB}\nhierarchical_memory_limit ${128 * MiB}\ntotal_inactive_file ${30 * MiB}\n`);
    write(root, "cpuacct/mydocker/c1/cpuacct.usage", "1500000000\n");
    write(root, "pids/mydocker/c1/pids.current", "7\n");
    // Only the older name: the reader falls back to a file not read beforehand.
    rmSync(join(root, "blkio/mydocker/c1/blkio.throttle.io_service_bytes_recursive"), { force: true });
    write(root, "blkio/mydocker/c1/blkio.throttle.io_service_bytes", "8:0 Read 4096\n8:0 Write 8192\nTotal 12288\n");
    const files = cg.usageFiles();
    assert.ok(files.every((f) => f.startsWith(root)), "every file is the cgroup's own");
    const expected = { cpuUsageNanos: 1.5e9, memoryUsage: 70 * MiB, memoryLimit: 128 * MiB, pids: 7, blkioReadBytes: 4096, blkioWriteBytes: 8192 };
    assert.deepEqual(cg.usage(), expected);
    assert.deepEqual(cg.usage(prefetchedReader(files)), expected);
    // Read beforehand means as it was then: a later change is not seen through that reader.
    const before = prefetchedReader(files);
    write(root, "pids/mydocker/c1/pids.current", "9\n");
    assert.equal(cg.usage(before).pids, 7);
    assert.equal(cg.usage().pids, 9);
  });

  it("tells a frozen cgroup from a thawed one through files read beforehand", () => {
    const cg = driver.create("mydocker/c1");
    write(root, "freezer/mydocker/c1/freezer.state", "FROZEN\n");
    const frozen = new PrefetchedFiles();
    frozen.prefetch(cg.freezerFiles());
    write(root, "freezer/mydocker/c1/freezer.state", "THAWED\n");
    assert.equal(cg.isFrozen(frozen.read), true);
    assert.equal(cg.isFrozen(), false);
  });

  it("joins a process in every hierarchy", () => {
    const cg = driver.create("mydocker/c1");
    cg.addProcess(4242);
    assert.equal(cg.procsFiles().length, 8);
    for (const file of cg.procsFiles()) assert.equal(read(file), "4242");
  });

  it("names the tasks file of every hierarchy for a process that moves itself", () => {
    const cg = driver.create("mydocker/c1");
    assert.deepEqual(
      cg.selfJoinFiles(),
      cg.procsFiles().map((f) => f.replace(/cgroup\.procs$/, "tasks")),
    );
  });

  it("refuses invalid values before creating anything", () => {
    assert.throws(() => driver.create("mydocker/c2", { memory: { limit: -7 } }), /memory.limit/);
    assert.throws(() => driver.create("mydocker/c2", { cpu: { cpus: "0-" } }), /cpu.cpus/);
    assert.throws(() => driver.create("mydocker/c2", { unified: { "memory.high": "1" } }), /unified needs cgroup v2/);
    assert.throws(() => driver.create("../escape"), /invalid cgroup path/);
    assert.equal(driver.open("mydocker/c2"), undefined);
  });

  it("lists the children of a parent across hierarchies", () => {
    fakeV1Cgroup(root, "mydocker/c0");
    assert.deepEqual(driver.children("mydocker"), ["mydocker/c0", "mydocker/c1"]);
    assert.equal(driver.open("mydocker/c1")?.path, "mydocker/c1");
  });

  it("co-mounted subsystems share one directory", () => {
    const shared = new V1Driver({ mounts: { ...fakeV1Mounts(root), cpuacct: join(root, "cpu") } });
    write(root, "cpu/mydocker/c1/cpuacct.usage", "5");
    const cg = shared.create("mydocker/c1");
    assert.equal(cg.procsFiles().length, 7);
    assert.equal(cg.stats().cpuUsageNanos, 5);
  });
});
