import { test } from "node:test";
import assert from "node:assert/strict";
import { binarySize, formatItems, humanDuration, humanSize, renderTemplate, table } from "../../src/cli/format.js";

test("table pads columns with three spaces like docker's tabwriter", () => {
  assert.equal(table(["A", "LONGER"], [["xxxx", "y"], ["z", "w"]]), "A      LONGER\nxxxx   y\nz      w\n");
});

test("human durations match docker's wording", () => {
  assert.equal(humanDuration(400), "Less than a second");
  assert.equal(humanDuration(1000), "1 second");
  assert.equal(humanDuration(42_000), "42 seconds");
  assert.equal(humanDuration(65_000), "About a minute");
  assert.equal(humanDuration(3 * 3600_000), "3 hours");
  assert.equal(humanDuration(3 * 86400_000), "3 days");
});

test("sizes: decimal for images, binary for stats", () => {
  assert.equal(humanSize(999), "999B");
  assert.equal(humanSize(1_234_567), "1.23MB");
  assert.equal(humanSize(4100), "4.1kB");
  assert.equal(binarySize(1536 * 1024), "1.5MiB");
});

test("templates: fields, json, join, escapes", () => {
  const v = { ID: "abc", Names: ["x", "y"], State: { Status: "running" } };
  assert.equal(renderTemplate("{{.ID}}\\t{{.State.Status}}", v), "abc\trunning");
  assert.equal(renderTemplate("{{json .Names}}", v), '["x","y"]');
  assert.equal(renderTemplate('{{join .Names ","}}', v), "x,y");
  assert.equal(renderTemplate("{{upper .ID}}", v), "ABC");
  assert.equal(renderTemplate("{{.Missing}}", v), "<no value>");
  assert.throws(() => renderTemplate("{{bogus}}", v), /can't evaluate/);
});

test("--format json prints one object a line", () => {
  assert.equal(formatItems([{ a: 1 }, { a: 2 }], "json"), '{"a":1}\n{"a":2}\n');
  assert.equal(formatItems([{ a: 1 }], "{{.a}}"), "1\n");
});
