// bin/mydocker's compile caches: one per command, each written by that command's first
// run, and a cache V8 refuses is written again.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { isRoot, mydocker, NOT_ROOT, REPO, tempRoots, type Roots } from "../helpers/cli.js";

const skip = isRoot() ? false : NOT_ROOT;
const CACHE = path.join(REPO, "dist/src/cli/main.cjs.cache");
let roots: Roots;

before(() => {
  if (skip) return;
  roots = tempRoots("mydocker-cache-");
  fs.rmSync(CACHE, { recursive: true, force: true });
});
after(() => roots?.cleanup());

test("each command keeps a compile cache of its own, past the global options", { skip }, () => {
  assert.equal(mydocker(roots, ["--version"]).status, 0);
  assert.deepEqual(fs.readdirSync(CACHE), ["none"]);
  const none = fs.statSync(path.join(CACHE, "none")).mtimeMs;
  const ps = mydocker(roots, ["--root", roots.root, "--debug", "ps"]);
  assert.equal(ps.status, 0, ps.stderr);
  assert.deepEqual(fs.readdirSync(CACHE).sort(), ["none", "ps"]);
  assert.equal(mydocker(roots, ["--version"]).status, 0);
  assert.equal(fs.statSync(path.join(CACHE, "none")).mtimeMs, none, "an accepted cache is left as it is");
});

test("a cache V8 refuses is written again and the command still runs", { skip }, () => {
  fs.mkdirSync(CACHE, { recursive: true });
  fs.writeFileSync(path.join(CACHE, "none"), "not a code cache");
  const r = mydocker(roots, ["--version"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
  assert.ok(fs.statSync(path.join(CACHE, "none")).size > 1000, "replaced by a real cache");
});
