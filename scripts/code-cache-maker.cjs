// `node scripts/code-cache-maker.cjs SNAPSHOT_CJS WRAPPED CACHE_OUT ARGS...`: runs a snapshot
// bundle (dist/src/cli/snapshot.cjs, its source as the snapshot builder compiles it in
// WRAPPED) as a plain script on the command ARGS and, as it exits, writes
// V8's code cache of the bundle: the bytecode of every function that command compiled.
// scripts/bundle.mjs compiles the snapshot's bundle with it, so that the functions a
// `run -d` calls are compiled in the snapshot and the others stay lazy.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const v8 = require("node:v8");
const vm = require("node:vm");
const { createRequire } = require("node:module");

const [file, wrapped, out, ...args] = process.argv.slice(2);
if (!file || !wrapped || !out) throw new Error("usage: code-cache-maker.cjs SNAPSHOT_CJS WRAPPED CACHE_OUT ARGS...");
process.argv = [process.argv[0], file, ...args];
// Not a snapshot being built: the main the bundle sets is run once it has loaded.
let main;
v8.startupSnapshot.setDeserializeMainFunction = (fn) => (main = fn);
const script = new vm.Script(fs.readFileSync(wrapped, "utf8"), { filename: file });
const mod = { exports: {} };
script.runInThisContext()(mod.exports, createRequire(file), mod, file, path.dirname(file));
if (!main) throw new Error(`${file} set no snapshot main`);
process.on("exit", () => fs.writeFileSync(out, script.createCachedData()));
main();
