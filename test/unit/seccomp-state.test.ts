// Kept seccomp filters: compiled once, found again by their source, never mixed up with
// another source of the same length; a container's own copy for exec.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { compileCached, keepSeccomp, loadSeccomp } from "../../src/runtime/seccomp-state.js";
import { compileSeccomp } from "../../src/runtime/seccomp-compile.js";
import type { LinuxSeccomp } from "../../src/spec/runtime.js";

const profile = (errnoRet: number): LinuxSeccomp => ({
  defaultAction: "SCMP_ACT_ALLOW",
  syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet }],
});

test("a filter is compiled once, found by its source, and a container keeps its own", (t) => {
  const runRoot = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-seccomp-state-"));
  t.after(() => fs.rmSync(runRoot, { recursive: true, force: true }));
  const a = compileCached(runRoot, profile(12));
  assert.deepEqual(a.filter, compileSeccomp(profile(12)));
  const made = fs.statSync(a.file);
  const again = compileCached(runRoot, profile(12));
  assert.equal(again.file, a.file);
  assert.deepEqual(again.filter, a.filter);
  assert.equal(fs.statSync(a.file).mtimeMs, made.mtimeMs, "found, not written again");

  // The same length, another source: a file of its own, and each keeps its own program.
  const b = compileCached(runRoot, profile(13));
  assert.notEqual(b.file, a.file);
  assert.notDeepEqual(b.filter, a.filter);
  assert.deepEqual(compileCached(runRoot, profile(12)).filter, a.filter);
  assert.deepEqual(fs.readdirSync(path.dirname(a.file)).sort(), [path.basename(a.file), path.basename(b.file)].sort(), "no temporaries left");

  const state = path.join(runRoot, "c1");
  fs.mkdirSync(state);
  assert.equal(loadSeccomp(state), undefined);
  keepSeccomp(state, b.file);
  assert.deepEqual(loadSeccomp(state), b.filter);
});
