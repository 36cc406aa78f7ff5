// The entry `node --build-snapshot` runs for myrunc's startup snapshot (scripts/bundle.mjs):
// it evaluates myrunc's snapshot bundle (src/oci-cli/snapshot.ts, bundled; its path in
// MYRUNC_SNAPSHOT_BUNDLE) compiled whole, so that the snapshot holds the bytecode of every
// function and a run compiles none of them. The bundle runs as if node had been given it:
// its __filename is its own (bin/myrunc names it as the entry, and it checks that).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const v8 = require("node:v8");
const vm = require("node:vm");

const file = process.env.MYRUNC_SNAPSHOT_BUNDLE;
if (!file) throw new Error("MYRUNC_SNAPSHOT_BUNDLE names no bundle");
const source = `(function (exports, require, module, __filename, __dirname) {${fs.readFileSync(file, "utf8")}\n})`;
v8.setFlagsFromString("--no-lazy");
let wrapper;
try {
  wrapper = vm.runInThisContext(source, { filename: file });
} finally {
  // Back to node's default before anything else compiles, and before the snapshot is written.
  v8.setFlagsFromString("--lazy");
}
const mod = { exports: {} };
wrapper(mod.exports, require, mod, file, path.dirname(file));
