// Health checks without root: docker's durations, the merge of the image's HEALTHCHECK with
// run's flags, what the monitor is told to run, the check's plan, and the monitor's status file.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { healthPolicy, mergeHealthcheck, parseDuration } from "../../src/engine/health/config.js";
import { prepareHealth, readHealth } from "../../src/runtime/health-state.js";
import { StateDir } from "../../src/runtime/state.js";
import { defaultSpec } from "../../src/runtime/defaults.js";

test("durations as Go's time.ParseDuration, in nanoseconds; anything else is docker's error", () => {
  assert.equal(parseDuration("--health-interval", "30s"), 30e9);
  assert.equal(parseDuration("--health-interval", "1m30s"), 90e9);
  assert.equal(parseDuration("--health-interval", "250ms"), 250e6);
  assert.equal(parseDuration("--health-interval", "1.5h"), 5400e9);
  assert.equal(parseDuration("--health-interval", "0"), 0);
  for (const bad of ["", "30", "s", "1m30", "10 s"]) {
    assert.throws(() => parseDuration("--health-interval", bad), new RegExp(`invalid argument "${bad}" for "--health-interval" flag: time: invalid duration`));
  }
  assert.throws(() => parseDuration("--health-timeout", "-1s"), /^MydockerError: --health-timeout cannot be negative$/);
});

test("run's settings win, the image's fill what run leaves at zero; docker's checks on the result", () => {
  const image = { Test: ["CMD", "check"], Interval: 5e9, Retries: 7 };
  assert.deepEqual(mergeHealthcheck({ Test: [], Interval: 1e9 }, image), { Test: ["CMD", "check"], Interval: 1e9, Retries: 7 });
  assert.deepEqual(mergeHealthcheck({ Test: ["NONE"] }, image), { Test: ["NONE"], Interval: 5e9, Retries: 7 });
  assert.equal(mergeHealthcheck(undefined, undefined), undefined);
  assert.throws(() => mergeHealthcheck({ Test: ["CMD", "x"], Interval: 1000 }, undefined), /Interval in Healthcheck cannot be less than 1ms/);
  assert.throws(() => mergeHealthcheck({ Test: ["CMD", "x"], Retries: -1 }, undefined), /Retries in Healthcheck cannot be negative/);
  assert.throws(() => mergeHealthcheck({ Test: ["SHELL", "x"] }, undefined), /unknown Healthcheck type SHELL/);
});

test("what the monitor runs: CMD-SHELL through /bin/sh -c, docker's defaults, none for NONE", () => {
  assert.deepEqual(healthPolicy({ Test: ["CMD-SHELL", "curl -f localhost"] }), {
    argv: ["/bin/sh", "-c", "curl -f localhost"], intervalMs: 30_000, timeoutMs: 30_000, startPeriodMs: 0, retries: 3,
  });
  assert.deepEqual(healthPolicy({ Test: ["CMD", "a", "b"], Interval: 2e9, Timeout: 5e8, StartPeriod: 1e10, Retries: 1 }), {
    argv: ["a", "b"], intervalMs: 2000, timeoutMs: 500, startPeriodMs: 10_000, retries: 1,
  });
  assert.equal(healthPolicy({ Test: ["NONE"] }), undefined);
  assert.equal(healthPolicy({ Test: [] }), undefined);
  assert.equal(healthPolicy(undefined), undefined);
});

test("the check's plan joins the namespaces of whichever run the monitor starts it in, and reports its pid", (t) => {
  const runRoot = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-health-unit-"));
  t.after(() => fs.rmSync(runRoot, { recursive: true, force: true }));
  const sd = new StateDir(runRoot, "a".repeat(64));
  sd.create();
  const process = { ...defaultSpec().process!, args: ["/bin/true"] };
  const health = prepareHealth(sd, "/shim", { process, intervalMs: 1000, timeoutMs: 2000, startPeriodMs: 0, retries: 3 }, { namespaces: ["pid", "mount", "ipc"] }, { lastCap: 40 });
  assert.deepEqual(health.argv, ["/shim", "--plan", sd.healthPlan]);
  assert.equal(health.statusFile, sd.healthStatus);
  const plan = fs.readFileSync(sd.healthPlan, "latin1");
  assert.match(plan, /pidns\x001\x00\.\/ns\/pid\x00/);
  assert.match(plan, /setns\x002\x00\d+\x00\.\/ns\/ipc\x00/);
  assert.match(plan, /setns\x002\x00\d+\x00\.\/ns\/mnt\x00/);
  assert.match(plan, new RegExp(`pidfile\\x001\\x00${sd.healthPid.replace(/[/.]/g, "\\$&")}\\x00`));
  assert.doesNotMatch(plan, /\/proc\//, "no pid of one run in it");
});

test("the monitor's status file: status, streak, and each result with its output as bytes", (t) => {
  const runRoot = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-health-unit-"));
  t.after(() => fs.rmSync(runRoot, { recursive: true, force: true }));
  const sd = new StateDir(runRoot, "b".repeat(64));
  sd.create();
  assert.equal(readHealth(sd), undefined);
  const out = "two\nlines\n";
  fs.writeFileSync(sd.healthStatus, `unhealthy 2\n1000000000 1500000000 1 ${Buffer.byteLength(out)}\n${out}\n2000000000 2000000001 -1 0\n\n`);
  assert.deepEqual(readHealth(sd), {
    status: "unhealthy",
    failingStreak: 2,
    log: [
      { start: "1970-01-01T00:00:01.000000000Z", end: "1970-01-01T00:00:01.500000000Z", exitCode: 1, output: out },
      { start: "1970-01-01T00:00:02.000000000Z", end: "1970-01-01T00:00:02.000000001Z", exitCode: -1, output: "" },
    ],
  });
});
