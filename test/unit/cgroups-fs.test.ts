// The cgroupfs readers stats leans on: a keyed file's one value, a file read whole however long.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keyedValue, readText } from "../../src/cgroups/fs.js";

test("keyedValue: a key on the first line, on a later one, and none; never a longer key ending the same", () => {
  const stat = "cache 4096\ntotal_inactive_file 8192\ninactive_file 12288\nhierarchical_memory_limit 9223372036854771712";
  assert.equal(keyedValue(stat, "cache"), 4096);
  assert.equal(keyedValue(stat, "inactive_file"), 12288);
  assert.equal(keyedValue(stat, "total_inactive_file"), 8192);
  assert.equal(keyedValue(stat, "hierarchical_memory_limit"), 9223372036854771712);
  assert.equal(keyedValue(stat, "rss"), undefined);
  assert.equal(keyedValue("", "cache"), undefined);
});

test("readText: a file longer than its read buffer comes whole, trimmed", () => {
  const dir = mkdtempSync(join(tmpdir(), "mydocker-cgroups-fs-"));
  try {
    const lines = Array.from({ length: 30000 }, (_x, i) => String(100000 + i));
    writeFileSync(join(dir, "cgroup.procs"), lines.join("\n") + "\n");
    const text = readText(join(dir, "cgroup.procs"));
    assert.equal(text.length, lines.join("\n").length);
    assert.deepEqual(text.split("\n"), lines);
    writeFileSync(join(dir, "empty"), "");
    assert.equal(readText(join(dir, "empty")), "");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
