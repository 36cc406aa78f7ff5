// The entry `node --build-snapshot` runs for a command line's startup snapshot
// (scripts/bundle.mjs): it evaluates the snapshot bundle (src/cli/snapshot.ts or
// src/oci-cli/snapshot.ts, bundled; its path in MYDOCKER_SNAPSHOT_BUNDLE). With
// MYDOCKER_SNAPSHOT_EAGER=1 it is compiled whole, so that the snapshot holds the bytecode of
// every function and a run compiles none of them: myrunc's, whose run calls most of its
// small bundle. mydocker's bundle is six times larger and a command calls a small part of it:
// deserializing all of its bytecode at every start costs more (~4 ms) than compiling that
// part. The bundle runs as if node had been given it: its __filename is its own (bin/front.sh
// names it as the entry, and src/util/snapshot-main.ts checks that).
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const v8 = require("node:v8");
const vm = require("node:vm");
const { spawn } = require("node:child_process");
const { createRequire } = require("node:module");

// The bundle (its path, the module's __filename) and its source wrapped as node wraps a
// CommonJS module (scripts/bundle.mjs writes it: the code cache's run compiles the same).
const file = process.env.MYDOCKER_SNAPSHOT_BUNDLE;
const wrapped = process.env.MYDOCKER_SNAPSHOT_SOURCE;
if (!file || !wrapped) throw new Error("MYDOCKER_SNAPSHOT_BUNDLE and MYDOCKER_SNAPSHOT_SOURCE name no bundle");
const eager = process.env.MYDOCKER_SNAPSHOT_EAGER === "1";
// Or the code cache of a run of the command that matters (MYDOCKER_SNAPSHOT_CODE_CACHE,
// scripts/code-cache-maker.cjs): the functions it compiled are compiled now, into the
// snapshot, and the others stay lazy. A cache V8 refuses fails the build of this snapshot.
const cacheFile = process.env.MYDOCKER_SNAPSHOT_CODE_CACHE;
const cachedData = cacheFile ? fs.readFileSync(cacheFile) : undefined;
if (eager) v8.setFlagsFromString("--no-lazy");
let wrapper;
try {
  const script = new vm.Script(fs.readFileSync(wrapped, "utf8"), { filename: file, cachedData });
  if (cachedData && script.cachedDataRejected) throw new Error(`V8 refused the code cache ${cacheFile}`);
  wrapper = script.runInThisContext();
} finally {
  // Back to node's default before anything else compiles, and before the snapshot is written.
  if (eager) v8.setFlagsFromString("--lazy");
}
const mod = { exports: {} };
wrapper(mod.exports, require, mod, file, path.dirname(file));

// Node's own modules are compiled lazily too, and a run called ~4 ms worth of their
// functions for the first time (V8's function log): the fs calls of the state files, the
// streams of the shim's control socket, Buffer, the module loader's resolution (fsat.node).
// Called here, they are compiled into the snapshot. Nothing is left open: the snapshot is
// written once the child below has exited and its pipes have closed.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "myrunc-snapshot-"));
try {
  const f = path.join(dir, "f");
  fs.mkdirSync(path.join(dir, "d", "e"), { recursive: true, mode: 0o700 });
  fs.writeFileSync(`${f}.tmp`, JSON.stringify({ warm: true }), { mode: 0o600 });
  fs.renameSync(`${f}.tmp`, f);
  JSON.parse(fs.readFileSync(f, "utf8"));
  fs.existsSync(f);
  fs.statSync(f, { throwIfNoEntry: false });
  const fd = fs.openSync(f, fs.constants.O_WRONLY | fs.constants.O_TRUNC);
  fs.writeSync(fd, Buffer.concat([Buffer.from("warm"), Buffer.alloc(1)]));
  fs.closeSync(fd);
  fs.readdirSync(dir, { withFileTypes: true });
  fs.unlinkSync(f);
  fs.rmdirSync(path.join(dir, "d", "e"));
  createRequire(file).resolve(file);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
const child = spawn(process.execPath, ["-e", "process.stdin.pipe(process.stdout)"], { stdio: ["pipe", "pipe", "ignore"], env: {} });
child.stdout.setEncoding("utf8");
child.stdout.on("data", () => {});
child.stdin.end("warm\n");
