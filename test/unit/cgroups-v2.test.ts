// The v2 driver's controller files against a fake cgroupfs: delegation through
// cgroup.subtree_control, runc's conversions of OCI values, stats. (Its core files run
// on the real cgroup2 mount in test/integration/cgroups-v2-core.test.ts.)
import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { totalmem } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { blkioWeightToIoWeight, sharesToWeight, V2Driver } from "../../src/cgroups/index.js";
import { fakeV2Cgroup, read, tempRoot, write } from "./cgroups-fake-tree.js";

const MiB = 1024 * 1024;
const ALL = "cpuset cpu io memory hugetlb pids rdma misc";
const DELEGATED = "cpuset cpu io memory pids";

describe("cgroup v2 driver (fake cgroupfs)", () => {
  let root: string;
  let driver: V2Driver;

  beforeEach(() => {
    root = tempRoot();
    driver = new V2Driver({ root });
    fakeV2Cgroup(root, "", ALL);
    fakeV2Cgroup(root, "mydocker", DELEGATED);
    fakeV2Cgroup(root, "mydocker/c1", DELEGATED);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("enables the controllers it uses in every ancestor, only those offered", () => {
    write(root, "cgroup.subtree_control", "cpu memory");
    driver.create("mydocker/c1");
    assert.equal(read(root, "cgroup.subtree_control"), "+cpuset +io +pids", "only the missing ones, never hugetlb");
    assert.equal(read(root, "mydocker/cgroup.subtree_control"), "+cpuset +cpu +io +memory +pids");
    assert.equal(read(root, "mydocker/c1/cgroup.subtree_control"), "", "the leaf holds processes, so no controllers below it");
  });

  it("converts OCI (v1-shaped) values the way runc does", () => {
    driver.create("mydocker/c1", {
      memory: { limit: 32 * MiB, swap: 64 * MiB, reservation: 16 * MiB },
      cpu: { shares: 1024, quota: 25000, period: 100000, cpus: "0-1", mems: "0" },
      pids: { limit: 20 },
      blockIO: { weight: 500, throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }] },
      unified: { "memory.high": "50000000" },
    });
    const file = (name: string) => read(root, "mydocker/c1", name);
    assert.equal(file("memory.max"), String(32 * MiB));
    assert.equal(file("memory.swap.max"), String(32 * MiB), "memory+swap 64m minus memory 32m");
    assert.equal(file("memory.low"), String(16 * MiB));
    assert.equal(file("cpu.weight"), "39");
    assert.equal(file("cpu.max"), "25000 100000");
    assert.equal(file("cpuset.cpus"), "0-1");
    assert.equal(file("cpuset.mems"), "0");
    assert.equal(file("pids.max"), "20");
    assert.equal(file("io.weight"), `default ${blkioWeightToIoWeight(500)}`);
    assert.equal(file("io.max"), "8:0 wbps=1048576");
    assert.equal(file("memory.high"), "50000000");
  });

  it("writes hugepageLimits where the hugetlb controller is delegated, and names the field where it is not", () => {
    fakeV2Cgroup(root, "mydocker/c1", `${DELEGATED} hugetlb`);
    write(root, "mydocker/c1/hugetlb.2MB.max", "max");
    driver.create("mydocker/c1", { hugepageLimits: [{ pageSize: "2MB", limit: 8 * MiB }] });
    assert.equal(read(root, "mydocker/c1", "hugetlb.2MB.max"), String(8 * MiB));
    fakeV2Cgroup(root, "mydocker/c1", DELEGATED);
    assert.throws(() => driver.create("mydocker/c1", { hugepageLimits: [{ pageSize: "2MB", limit: 8 * MiB }] }), /linux\.resources\.hugepageLimits: the hugetlb controller is not enabled/);
  });

  it("writes unlimited as max", () => {
    driver.create("mydocker/c1", { memory: { limit: -1, swap: -1 }, cpu: { quota: -1, period: 100000 }, pids: { limit: -1 } });
    const file = (name: string) => read(root, "mydocker/c1", name);
    assert.equal(file("memory.max"), "max");
    assert.equal(file("memory.swap.max"), "max");
    assert.equal(file("cpu.max"), "max 100000");
    assert.equal(file("pids.max"), "max");
  });

  it("uses io.bfq.weight, in blkio's range, under BFQ", () => {
    write(root, "mydocker/c1/io.bfq.weight", "100");
    driver.create("mydocker/c1", { blockIO: { weight: 500 } });
    assert.equal(read(root, "mydocker/c1/io.bfq.weight"), "500");
  });

  it("maps shares and blkio weights onto v2 weights like docker", () => {
    assert.equal(sharesToWeight(2), 1);
    assert.equal(sharesToWeight(1024), 39);
    assert.equal(sharesToWeight(262144), 10000);
    assert.equal(blkioWeightToIoWeight(10), 1);
    assert.equal(blkioWeightToIoWeight(1000), 10000);
  });

  it("says which controller is missing and leaves no cgroup behind", () => {
    fakeV2Cgroup(root, "mydocker/c2", "cpu memory");
    assert.throws(() => driver.create("mydocker/c2", { pids: { limit: 10 } }), /the pids controller is not enabled for cgroup .*mydocker\/c2 \(it has: cpu memory\)/);
    rmSync(join(root, "mydocker/c2"), { recursive: true });
    assert.throws(() => driver.create("mydocker/c3", { pids: { limit: 10 } }), /pids controller is not enabled/);
    assert.equal(existsSync(join(root, "mydocker/c3")), false);
  });

  it("refuses what v2 cannot do before creating anything", () => {
    assert.throws(() => driver.create("mydocker/c4", { memory: { swap: 64 * MiB } }), /memory.swap needs memory.limit/);
    assert.throws(() => driver.create("mydocker/c4", { cpu: { realtimeRuntime: 1000 } }), /realtime/);
    assert.equal(driver.open("mydocker/c4"), undefined);
  });

  it("reads stats as docker reports them", () => {
    const cg = driver.create("mydocker/c1");
    write(root, "mydocker/c1/memory.current", String(100 * MiB));
    write(root, "mydocker/c1/memory.stat", `anon ${60 * MiB}\ninactive_file ${30 * MiB}\nactive_file 0\n`);
    write(root, "mydocker/c1/memory.events", "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n");
    write(root, "mydocker/c1/cpu.stat", "usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n");
    write(root, "mydocker/c1/pids.current", "3\n");
    write(root, "mydocker/c1/io.stat", "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n8:16 rbytes=1024 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n");
    assert.deepEqual(cg.stats(), {
      cpuUsageNanos: 1.5e9,
      memoryUsage: 70 * MiB,
      memoryLimit: totalmem(),
      pids: 3,
      blkioReadBytes: 5120,
      blkioWriteBytes: 8192,
      oomKills: 1,
    });
  });

  it("reads frozen from cgroup.events", () => {
    const cg = driver.create("mydocker/c1");
    assert.equal(cg.isFrozen(), false);
    write(root, "mydocker/c1/cgroup.events", "populated 1\nfrozen 1\n");
    assert.equal(cg.isFrozen(), true);
    assert.deepEqual(driver.children("mydocker"), ["mydocker/c1"]);
  });
});
