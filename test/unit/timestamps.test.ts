import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import {
  formatRfc3339NanoFixed, parseDockerTime, parseGoDuration, parseRfc3339Nano,
} from "../../src/engine/timestamps.js";

const S = 1_000_000_000n;

test("Go durations", () => {
  assert.equal(parseGoDuration("10m"), 600n * S);
  assert.equal(parseGoDuration("1h30m"), 5400n * S);
  assert.equal(parseGoDuration("1.5s"), 1_500_000_000n);
  assert.equal(parseGoDuration("-2ms"), -2_000_000n);
  assert.equal(parseGoDuration("0"), 0n);
  for (const bad of ["", "10", "1x", "h", "1h 2m", "-"]) assert.equal(parseGoDuration(bad), undefined, bad);
});

test("--since accepts relative durations before now", () => {
  const now = new Date("2024-05-01T12:00:00Z");
  assert.equal(parseDockerTime("10m", now), BigInt(Date.parse("2024-05-01T11:50:00Z")) * 1_000_000n);
  assert.equal(parseDockerTime("1h30m", now), BigInt(Date.parse("2024-05-01T10:30:00Z")) * 1_000_000n);
});

test("--since accepts RFC3339 with zone, keeping nanoseconds", () => {
  const base = BigInt(Date.parse("2024-05-01T12:00:00Z") / 1000) * S;
  assert.equal(parseDockerTime("2024-05-01T12:00:00Z"), base);
  assert.equal(parseDockerTime("2024-05-01T12:00:00.000000042Z"), base + 42n);
  assert.equal(parseDockerTime("2024-05-01T14:00:00+02:00"), base);
  assert.equal(parseDockerTime("2024-05-01T12:00Z"), base);
  assert.equal(parseDockerTime("2024-05-01Z"), base - 12n * 3600n * S);
});

/** Runs fn with the process in time zone tz (Node applies a TZ assignment at once). */
function inZone(t: TestContext, tz: string): void {
  const was = process.env["TZ"];
  process.env["TZ"] = tz;
  t.after(() => {
    if (was === undefined) delete process.env["TZ"];
    else process.env["TZ"] = was;
  });
}

const at = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;

test("--since without a zone is local time at now's offset, as docker (Go's FixedZone of now)", (t) => {
  inZone(t, "America/New_York");
  const winter = new Date("2024-01-15T12:00:00Z");
  assert.equal(parseDockerTime("2024-05-01T12:00:00", winter), at("2024-05-01T17:00:00Z"), "EST, -05:00, though May is in EDT");
  assert.equal(parseDockerTime("2024-05-01T12", winter), at("2024-05-01T17:00:00Z"));
  assert.equal(parseDockerTime("2024-05-01", winter), at("2024-05-01T05:00:00Z"));
  const summer = new Date("2024-07-01T12:00:00Z");
  assert.equal(parseDockerTime("2024-05-01T12:00:00", summer), at("2024-05-01T16:00:00Z"), "EDT, -04:00");
  inZone(t, "Asia/Kolkata");
  assert.equal(parseDockerTime("2024-05-01T12:00:00", winter), at("2024-05-01T06:30:00Z"), "+05:30");
});

test("--since accepts Unix timestamps with a fraction", () => {
  assert.equal(parseDockerTime("1700000000"), 1700000000n * S);
  assert.equal(parseDockerTime("1700000000.5"), 1700000000n * S + 500_000_000n);
  assert.equal(parseDockerTime("0"), 0n);
});

test("bad --since values get docker's message", () => {
  for (const bad of ["yesterday", "2024-13-01", "2024-02-30T00:00:00Z", "12:00", "1.2.3"]) {
    assert.throws(() => parseDockerTime(bad), { message: `failed to parse value as time or duration: "${bad}"` });
  }
});

test("log timestamps parse and print as docker's fixed RFC3339Nano", () => {
  const n = parseRfc3339Nano("2024-05-01T12:00:00.5Z");
  assert.equal(n, BigInt(Date.parse("2024-05-01T12:00:00Z") / 1000) * S + 500_000_000n);
  assert.equal(formatRfc3339NanoFixed(n!), "2024-05-01T12:00:00.500000000Z");
  assert.equal(formatRfc3339NanoFixed(parseRfc3339Nano("2024-05-01T13:00:00.000000001+01:00")!), "2024-05-01T12:00:00.000000001Z");
  assert.equal(parseRfc3339Nano("2024-05-01T12:00:00"), undefined);
  assert.equal(parseRfc3339Nano("2024-05-01"), undefined);
});
