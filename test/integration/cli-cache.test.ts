// bin/mydocker's compile caches: one per command, each written by that command's first
// run, and a cache V8 refuses is written again. The test runs a copy of the command and
// its bundle: the checkout's own caches are used by every other suite at the same time.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { isRoot, NOT_ROOT, REPO, tempRoots, type Result, type Roots } from "../helpers/cli.js";

const BUNDLE = path.join(REPO, "dist/src/cli/main.cjs");
const skip = !isRoot() ? NOT_ROOT : !fs.existsSync(BUNDLE) ? `${BUNDLE} is missing: make it with node scripts/bundle.mjs` : false;
let roots: Roots;
let copy: string;
let cache: string;

before(() => {
  if (skip) return;
  roots = tempRoots("mydocker-cache-");
  copy = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-cache-copy-"));
  // The layout bin/mydocker expects, with the bundle's neighbours it finds by path linked in.
  fs.mkdirSync(path.join(copy, "dist/src/cli"), { recursive: true });
  fs.cpSync(path.join(REPO, "bin"), path.join(copy, "bin"), { recursive: true });
  fs.copyFileSync(BUNDLE, path.join(copy, "dist/src/cli/main.cjs"));
  for (const shared of ["node_modules", "native"]) fs.symlinkSync(path.join(REPO, shared), path.join(copy, shared));
  cache = path.join(copy, "dist/src/cli/main.cjs.cache");
});
after(() => {
  roots?.cleanup();
  if (copy) fs.rmSync(copy, { recursive: true, force: true });
});

function copied(args: string[]): Result {
  const r = spawnSync(process.execPath, [path.join(copy, "bin/mydocker"), ...args], { env: roots.env, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

test("each command keeps a compile cache of its own, past the global options", { skip }, () => {
  assert.equal(fs.existsSync(cache), false);
  assert.equal(copied(["--version"]).status, 0);
  assert.deepEqual(fs.readdirSync(cache), ["none"]);
  const none = fs.statSync(path.join(cache, "none")).mtimeMs;
  const ps = copied(["--root", roots.root, "--debug", "ps"]);
  assert.equal(ps.status, 0, ps.stderr);
  assert.deepEqual(fs.readdirSync(cache).sort(), ["none", "ps"]);
  assert.equal(copied(["--version"]).status, 0);
  assert.equal(fs.statSync(path.join(cache, "none")).mtimeMs, none, "an accepted cache is left as it is");
});

test("a cache V8 refuses is written again and the command still runs", { skip }, () => {
  fs.mkdirSync(cache, { recursive: true });
  fs.writeFileSync(path.join(cache, "none"), "not a code cache");
  const r = copied(["--version"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
  assert.ok(fs.statSync(path.join(cache, "none")).size > 1000, "replaced by a real cache");
});
