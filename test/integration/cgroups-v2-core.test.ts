// The v2 driver's core (cgroup.procs, cgroup.freeze, cgroup.events, cgroup.kill) on the
// host's real cgroup2 mount, whatever controllers it has (none we use, on hybrid hosts).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseCgroupMounts, V2Driver } from "../../src/cgroups/index.js";
import { waitFor } from "../helpers/wait.js";
import { assertFreezes, counterScript, isRoot, runIn, testParent } from "./cgroups-helpers.js";

const unified = parseCgroupMounts(readFileSync("/proc/self/mountinfo", "utf8")).unified;
const skip = !isRoot ? "needs root to create cgroups" : !unified ? "no cgroup2 filesystem is mounted on this host" : false;

describe("cgroup v2 driver core on the real cgroup2 mount", { skip }, () => {
  let driver: V2Driver;
  const parent = testParent();
  let tmp: string;

  before(() => {
    driver = new V2Driver({ root: unified as string });
    tmp = mkdtempSync(join(tmpdir(), "mydocker-cgroups-"));
  });

  after(async () => {
    await driver.open(parent)?.destroy();
    rmSync(tmp, { recursive: true, force: true });
    assert.equal(driver.open(parent), undefined, "the test parent cgroup is gone");
  });

  it("puts a process in cgroup.procs and lists it with its children", async () => {
    const cg = driver.create(`${parent}/procs`);
    assert.deepEqual(cg.procsFiles(), [join(unified as string, parent, "procs", "cgroup.procs")]);
    const p = runIn(cg, "sleep 30 & exec sleep 30");
    await waitFor(() => cg.pids().length === 2, { what: "sh's child to be in the cgroup" });
    const pids = cg.pids();
    assert.ok(pids.includes(p.pid));
    assert.deepEqual(driver.children(parent), [`${parent}/procs`]);
    await cg.killAll();
    assert.equal((await p.done).signal, "SIGKILL", "cgroup.kill kills the process");
    assert.deepEqual(cg.pids(), []);
    assert.match(readFileSync(join(unified as string, parent, "procs", "cgroup.events"), "utf8"), /^populated 0$/m);
    await cg.destroy();
    assert.equal(driver.open(`${parent}/procs`), undefined);
  });

  it("cgroup.freeze stops a counter until thawed", async () => {
    const cg = driver.create(`${parent}/freeze`);
    const counter = join(tmp, "counter");
    const p = runIn(cg, counterScript(counter));
    await assertFreezes(cg, counter);
    await cg.destroy();
    assert.equal((await p.done).signal, "SIGKILL", "destroy kills what is left");
  });

  it("destroying a frozen cgroup still kills and removes it", async () => {
    const cg = driver.create(`${parent}/frozen-destroy`);
    const p = runIn(cg, "exec sleep 30");
    await cg.freeze();
    await cg.destroy();
    assert.equal((await p.done).signal, "SIGKILL");
    assert.equal(driver.open(`${parent}/frozen-destroy`), undefined);
  });

  it("asks for controllers the mount does not offer with a clear error", () => {
    const available = readFileSync(join(unified as string, "cgroup.controllers"), "utf8");
    if (available.includes("pids")) return;
    assert.throws(() => driver.create(`${parent}/nopids`, { pids: { limit: 10 } }), /pids controller is not enabled/);
    assert.equal(driver.open(`${parent}/nopids`), undefined, "nothing is left behind");
  });
});
