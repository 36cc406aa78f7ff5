// The limits docker users ask for, enforced by the real kernel through the driver this
// host gets (v1 on hybrid and v1 hosts, v2 on unified ones): flags -> spec -> driver.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { detectCgroupDriver, type Cgroup, type CgroupDriver } from "../../src/cgroups/index.js";
import { mergeResources, resourcesFromFlags, type ResourceFlags } from "../../src/engine/resource-flags.js";
import { cgroupDirs } from "../helpers/cli.js";
import { assertFreezes, counterScript, isRoot, runIn, testParent } from "./cgroups-helpers.js";

const MiB = 1024 * 1024;
const skip = isRoot ? false : "needs root to create cgroups";

describe("cgroup limits on the real kernel", { skip }, () => {
  let driver: CgroupDriver;
  const parent = testParent();
  let tmp: string;

  before(() => {
    driver = detectCgroupDriver();
    tmp = mkdtempSync(join(tmpdir(), "mydocker-cgroups-"));
  });

  after(async () => {
    await driver.open(parent)?.destroy();
    rmSync(tmp, { recursive: true, force: true });
    assert.equal(driver.open(parent), undefined, "the test parent cgroup is gone");
  });

  const container = (name: string, flags: ResourceFlags = {}): Cgroup => driver.create(`${parent}/${name}`, resourcesFromFlags(flags));

  it("-m 32m: a process allocating 100 MiB is OOM-killed", async () => {
    const cg = container("oom", { memory: "32m" });
    const p = runIn(cg, "exec dd if=/dev/zero of=/dev/null bs=100M count=1");
    const { signal } = await p.done;
    assert.equal(signal, "SIGKILL", "docker reports this as exit status 137");
    assert.ok(cg.stats().oomKills >= 1, "the kernel's OOM kill is counted (OOMKilled)");
    await cg.destroy();
  });

  it("--pids-limit 20: forks beyond the limit fail", async () => {
    const cg = container("pids", { pidsLimit: "20" });
    const p = runIn(cg, "for i in $(seq 60); do sleep 30 >/dev/null 2>&1 & done; echo all-started");
    const { stdout, stderr } = await p.done;
    assert.doesNotMatch(stdout, /all-started/);
    assert.match(stderr, /fork/i);
    assert.ok(cg.pids().length <= 20, `at most 20 processes, saw ${cg.pids().length}`);
    assert.ok(cg.stats().pids <= 20);
    await cg.destroy();
    assert.equal(driver.open(`${parent}/pids`), undefined, "destroy kills the leftover sleeps and removes the cgroup");
  });

  it("--cpus 0.25: a busy loop gets a quarter of a CPU, and is throttled to it", async () => {
    const cg = container("cpus", { cpus: "0.25" });
    const t0 = process.hrtime.bigint();
    const p = runIn(cg, `exec timeout 3 sh -c 'while :; do :; done'`);
    await p.done;
    // Against the time it really ran: a loaded machine stretches that, and the quota with it.
    const quarter = (Number(process.hrtime.bigint() - t0) / 1e9) * 0.25;
    const seconds = cg.stats().cpuUsageNanos / 1e9;
    // Above: the quota is a ceiling (one 100 ms period of slack). Below: half of it, which a
    // busy loop gets even when other work keeps both CPUs busy (it is one of few runnable tasks).
    const said = `CPU time ${seconds.toFixed(3)} s, a quarter of the time is ${quarter.toFixed(3)} s`;
    assert.ok(seconds < quarter * 1.2 + 0.1, said);
    assert.ok(seconds > quarter * 0.5, said);
    const stat = cgroupDirs(`${parent}/cpus`).map((d) => join(d, "cpu.stat")).find((f) => existsSync(f) && readFileSync(f, "utf8").includes("nr_throttled"));
    assert.ok(stat, "the cgroup has a cpu.stat");
    assert.ok(Number(/^nr_throttled (\d+)$/m.exec(readFileSync(stat, "utf8"))?.[1]) > 0, "the kernel throttled the loop");
    await cg.destroy();
  });

  it("--cpuset-cpus 0: processes may run on CPU 0 only", async () => {
    const cg = container("nested/cpuset", { cpusetCpus: "0" });
    const { stdout } = await runIn(cg, "grep Cpus_allowed_list /proc/self/status").done;
    assert.match(stdout, /^Cpus_allowed_list:\s+0$/m);
    await driver.open(`${parent}/nested`)?.destroy();
  });

  it("pause stops a counter and unpause resumes it", async () => {
    const cg = container("pause");
    const counter = join(tmp, "counter");
    const p = runIn(cg, counterScript(counter));
    await assertFreezes(cg, counter);
    await cg.destroy();
    assert.equal((await p.done).signal, "SIGKILL");
  });

  it("update -m changes the limit of a running container", async () => {
    const flags = { memory: "32m" };
    const cg = container("update", flags);
    const p = runIn(cg, "exec sleep 30");
    assert.equal(cg.stats().memoryLimit, 32 * MiB);
    cg.setResources(mergeResources(resourcesFromFlags(flags), resourcesFromFlags({ memory: "48m" }, { update: true })));
    assert.equal(cg.stats().memoryLimit, 48 * MiB);
    assert.deepEqual(cg.pids(), [p.pid]);
    await cg.destroy();
    assert.equal((await p.done).signal, "SIGKILL");
  });

  it("refuses out-of-range values before creating anything", () => {
    assert.throws(() => driver.create(`${parent}/bad`, { cpu: { period: 10 } }), /cpu.period/);
    assert.equal(driver.open(`${parent}/bad`), undefined);
  });
});
