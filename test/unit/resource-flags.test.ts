import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mergeResources, oomScoreAdjFromFlags, parseBytes, resourcesFromFlags, type ResourceFlags } from "../../src/engine/resource-flags.js";

const MiB = 1024 * 1024;
const host = { cpuCount: 2, onlineCpus: "0-1", onlineMems: "0" };
const from = (flags: ResourceFlags, update = false) => resourcesFromFlags(flags, { host, update });
const refused = (flags: ResourceFlags, message: string, update = false) =>
  assert.throws(() => from(flags, update), (e: Error) => e.message === message);

describe("docker sizes", () => {
  it("reads docker's binary units, with or without b/ib", () => {
    assert.equal(parseBytes("100"), 100);
    assert.equal(parseBytes("512k"), 512 * 1024);
    assert.equal(parseBytes("32m"), 32 * MiB);
    assert.equal(parseBytes("32MiB"), 32 * MiB);
    assert.equal(parseBytes("32mb"), 32 * MiB);
    assert.equal(parseBytes("1g"), 1024 * MiB);
    assert.equal(parseBytes("1.5g"), 1536 * MiB);
    assert.equal(parseBytes("32x"), undefined);
    assert.equal(parseBytes("-1"), undefined);
  });

  it("names the flag of a bad size", () => {
    refused({ memory: "32x" }, `invalid argument "32x" for "-m, --memory" flag: invalid size: '32x'`);
  });
});

describe("memory flags", () => {
  it("-m gives memory+swap twice the memory, as docker does", () => {
    assert.deepEqual(from({ memory: "32m" }), { memory: { limit: 32 * MiB, swap: 64 * MiB } });
  });

  it("--memory-swap -1 is unlimited swap, a size is memory+swap", () => {
    assert.deepEqual(from({ memory: "32m", memorySwap: "-1" }).memory, { limit: 32 * MiB, swap: -1 });
    assert.deepEqual(from({ memory: "32m", memorySwap: "100m" }).memory, { limit: 32 * MiB, swap: 100 * MiB });
  });

  it("--memory-reservation is the soft limit", () => {
    assert.deepEqual(from({ memory: "64m", memoryReservation: "32m" }).memory, { limit: 64 * MiB, swap: 128 * MiB, reservation: 32 * MiB });
  });

  it("refuses what docker refuses, with docker's messages", () => {
    refused({ memory: "4m" }, "Minimum memory limit allowed is 6MB");
    refused({ memory: "32m", memorySwap: "16m" }, "Minimum memoryswap limit should be larger than memory limit, see usage");
    refused({ memorySwap: "64m" }, "You should always set the Memory limit when using Memoryswap limit, see usage");
    refused({ memory: "32m", memoryReservation: "64m" }, "Minimum memory limit can not be less than memory reservation limit, see usage");
    refused({ memoryReservation: "1m" }, "Minimum memory reservation allowed is 6MB");
  });

  it("update takes --memory-swap alone and adds no default swap", () => {
    assert.deepEqual(from({ memorySwap: "64m" }, true), { memory: { swap: 64 * MiB } });
    assert.deepEqual(from({ memory: "48m" }, true), { memory: { limit: 48 * MiB } });
  });
});

describe("cpu flags", () => {
  it("--cpus 0.25 is a quota of a quarter of a 100 ms period", () => {
    assert.deepEqual(from({ cpus: "0.25" }), { cpu: { period: 100000, quota: 25000 } });
    assert.deepEqual(from({ cpus: "1.5" }), { cpu: { period: 100000, quota: 150000 } });
  });

  it("refuses CPUs the host lacks and conflicting cpu flags", () => {
    refused({ cpus: "3" }, "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available");
    refused({ cpus: "0.5", cpuPeriod: "50000" }, "Conflicting options: Nano CPUs and CPU Period cannot both be set");
    refused({ cpus: "0.5", cpuQuota: "50000" }, "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
    refused({ cpus: "abc" }, `invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number`);
    refused({ cpus: "0.0000000001" }, `invalid argument "0.0000000001" for "--cpus" flag: value is too precise`);
  });

  it("--cpu-period and --cpu-quota pass through within the kernel's range", () => {
    assert.deepEqual(from({ cpuPeriod: "50000", cpuQuota: "25000" }), { cpu: { period: 50000, quota: 25000 } });
    refused({ cpuPeriod: "500" }, "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
    refused({ cpuQuota: "500" }, "CPU cfs quota can not be less than 1ms (i.e. 1000)");
    refused({ cpuQuota: "x" }, `invalid argument "x" for "--cpu-quota" flag: strconv.ParseInt: parsing "x": invalid syntax`);
  });

  it("--cpu-shares out of the kernel's range is adjusted, as docker does", () => {
    assert.deepEqual(from({ cpuShares: "512" }), { cpu: { shares: 512 } });
    assert.deepEqual(from({ cpuShares: "1" }), { cpu: { shares: 2 } });
    assert.deepEqual(from({ cpuShares: "300000" }), { cpu: { shares: 262144 } });
  });

  it("--cpuset-cpus/--cpuset-mems must name online CPUs and nodes", () => {
    assert.deepEqual(from({ cpusetCpus: "0-1", cpusetMems: "0" }), { cpu: { cpus: "0-1", mems: "0" } });
    refused({ cpusetCpus: "3" }, "Requested CPUs are not available - requested 3, available: 0-1");
    refused({ cpusetCpus: "1-0" }, "Invalid value 1-0 for cpuset cpus");
    refused({ cpusetMems: "a" }, "Invalid value a for cpuset mems");
    refused({ cpusetMems: "1" }, "Requested memory nodes are not available - requested 1, available: 0");
  });
});

describe("pids, blkio and oom-score-adj flags", () => {
  it("--pids-limit: a positive limit, or unlimited for zero and below", () => {
    assert.deepEqual(from({ pidsLimit: "20" }), { pids: { limit: 20 } });
    assert.deepEqual(from({ pidsLimit: "0" }), { pids: { limit: -1 } });
    assert.deepEqual(from({ pidsLimit: "-1" }), { pids: { limit: -1 } });
  });

  it("--blkio-weight is 10 to 1000", () => {
    assert.deepEqual(from({ blkioWeight: "500" }), { blockIO: { weight: 500 } });
    refused({ blkioWeight: "5" }, "Range of blkio weight is from 10 to 1000");
  });

  it("--oom-score-adj is -1000 to 1000", () => {
    assert.equal(oomScoreAdjFromFlags({ oomScoreAdj: "-500" }), -500);
    assert.equal(oomScoreAdjFromFlags({}), undefined);
    assert.throws(
      () => oomScoreAdjFromFlags({ oomScoreAdj: "1001" }),
      (e: Error) => e.message === "Invalid value 1001, range for oom score adj is [-1000, 1000]",
    );
  });

  it("no flags, no resources", () => {
    assert.deepEqual(from({}), {});
  });
});

describe("mergeResources (docker update)", () => {
  const created = from({ memory: "32m", cpuShares: "512" });

  it("changes what the update names and keeps the rest", () => {
    assert.deepEqual(mergeResources(created, from({ memory: "48m" }, true)), {
      memory: { limit: 48 * MiB, swap: 64 * MiB },
      cpu: { shares: 512 },
    });
    assert.deepEqual(mergeResources(created, from({ cpus: "0.5" }, true)).cpu, { shares: 512, period: 100000, quota: 50000 });
  });

  it("refuses a memory limit above the memory+swap already set, as docker does", () => {
    assert.throws(
      () => mergeResources(created, from({ memory: "128m" }, true)),
      (e: Error) => e.message === "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time",
    );
    assert.deepEqual(mergeResources(created, from({ memory: "128m", memorySwap: "256m" }, true)).memory, { limit: 128 * MiB, swap: 256 * MiB });
  });
});
