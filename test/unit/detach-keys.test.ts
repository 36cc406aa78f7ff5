// docker's --detach-keys format.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseDetachKeys } from "../../src/engine/attach.js";

test("detach keys: ctrl-KEY and single characters, comma-separated; anything else refused", () => {
  assert.deepEqual([...parseDetachKeys("ctrl-p,ctrl-q")], [0x10, 0x11]);
  assert.deepEqual([...parseDetachKeys("ctrl-a,d")], [0x01, 0x64]);
  assert.deepEqual([...parseDetachKeys("ctrl-@,ctrl-[")], [0x00, 0x1b]);
  assert.throws(() => parseDetachKeys("ctrl-1"), /invalid detach keys "ctrl-1"/);
});
