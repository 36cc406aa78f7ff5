// Bundles each command line (dist/src/cli/main.js, dist/src/oci-cli/main.js and everything
// they import) into one CommonJS file next to it, main.cjs, which bin/ loads: one file
// read and compiled instead of ~110 ES modules resolved and linked, which cost ~35 ms
// of every command's start. It sits at the same depth as main.js, so the paths the code
// finds from its own location (native/mydocker-shim, bin/mydocker) stay the same.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { trainedCodeCache } from "./snapshot-training.mjs";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** One CommonJS file of entry and everything it imports, next to it (the same depth). */
async function bundle(entry, outfile) {
  const out = await build({
    entryPoints: [entry],
    outfile,
    write: false,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    // better-sqlite3's JavaScript is in the bundle (with a compile cache, unlike its ~15 files
    // loaded one by one); its addon is loaded from node_modules by path (src/store/db.ts).
    // CommonJS has no import.meta: the file's own URL stands in for it.
    define: { "import.meta.url": "__bundleUrl" },
    banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
    logLevel: "warning",
  });
  // esbuild escapes what is not ASCII in strings, not in regular expressions or the comments
  // it keeps. One such character and V8 holds the whole source (which a startup snapshot
  // keeps, and a compile cache needs) in two bytes a character: 3 MB more to read or
  // deserialize at every start. \uXXXX means the same character in all of these places.
  const text = out.outputFiles[0].text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  fs.writeFileSync(outfile, text);
}

// The two command lines: mydocker's, and myrunc's (src/oci-cli), which never loads the
// engine or its database.
for (const dir of ["dist/src/cli", "dist/src/oci-cli"]) {
  const outfile = path.join(root, dir, "main.cjs");
  await bundle(path.join(root, dir, "main.js"), outfile);
  // The compile caches bin/ keeps (one per command) belong to the previous bundle.
  fs.rmSync(`${outfile}.cache`, { recursive: true, force: true });
}

// Each command line's V8 startup snapshot (src/cli/snapshot.ts, src/oci-cli/snapshot.ts;
// bin/front.sh starts node from it), what its --version prints when it loads, and whether
// it holds all of its code compiled (scripts/snapshot-builder.cjs says when that pays).
const cli = path.join(root, "dist/src/cli");
await snapshot(cli, /^\d+\.\d+\.\d+\n$/, false);
await snapshot(path.join(root, "dist/src/oci-cli"), /^myrunc version /, true);
// mydocker's, once more with what a `run -d -p` compiles compiled in (scripts/code-cache-maker.cjs):
// V8 compiles a function at its first call, ~20 ms of such a run from the lazy snapshot.
const cache = trainedCodeCache(root, cli);
if (cache) {
  await snapshot(cli, /^\d+\.\d+\.\d+\n$/, false, cache);
  fs.rmSync(path.dirname(cache), { recursive: true, force: true });
}
// The wrapped sources served the builds only.
for (const dir of ["dist/src/cli", "dist/src/oci-cli"]) fs.rmSync(path.join(root, dir, "snapshot.wrapped.js"), { force: true });

/**
 * DIST/main.blob, made from DIST/snapshot.js. The old one goes first: should this one fail,
 * bin/front.sh finds none and runs the bundle instead. With codeCache (a file of V8's code
 * cache of the bundle), it is made again from the same bundle, the old one kept if that fails.
 */
async function snapshot(dist, version, eager, codeCache) {
  const blob = path.join(dist, "main.blob");
  const entry = path.join(dist, "snapshot.cjs");
  if (!codeCache) {
    fs.rmSync(blob, { force: true });
    fs.rmSync(`${blob}.node`, { force: true });
    await bundle(path.join(dist, "snapshot.js"), entry);
    // The source as node wraps a module: the snapshot builder compiles this text, and so does
    // the run that makes a code cache for it (V8 takes a cache only for the same source).
    fs.writeFileSync(path.join(dist, "snapshot.wrapped.js"), `(function (exports, require, module, __filename, __dirname) {${fs.readFileSync(entry, "utf8")}\n})`);
  }
  const tmp = `${blob}.${process.pid}`;
  // Eager, the bundle is compiled whole into the snapshot: V8 compiles a function when it is
  // first called, and a myrunc run would compile some hundred of them (~4 ms of its ~20
  // beyond node's start). --no-lazy holds only while the builder (scripts/snapshot-builder.cjs)
  // compiles the bundle: a snapshot records the flags it was made under, and node loads it
  // only under the same.
  const made = spawnSync(process.execPath, ["--snapshot-blob", tmp, "--build-snapshot", path.join(root, "scripts/snapshot-builder.cjs")], {
    encoding: "utf8",
    cwd: dist,
    env: {
      ...process.env,
      MYDOCKER_SNAPSHOT_BUNDLE: entry,
      MYDOCKER_SNAPSHOT_SOURCE: path.join(dist, "snapshot.wrapped.js"),
      MYDOCKER_SNAPSHOT_EAGER: eager ? "1" : "0",
      ...(codeCache ? { MYDOCKER_SNAPSHOT_CODE_CACHE: codeCache } : {}),
    },
  });
  // node warns that it has not verified every built-in it loads in a snapshot (child_process,
  // module): the tests run from these snapshots, so those warnings are kept out of the
  // build's output. A snapshot node would not load (it says so and exits) is not kept.
  const loads = made.status === 0 && spawnSync(process.execPath, ["--snapshot-blob", tmp, "--", entry, "--version"], { encoding: "utf8" });
  if (loads && loads.status === 0 && version.test(loads.stdout)) {
    fs.renameSync(tmp, blob);
    if (!codeCache) sameNode(blob);
  } else {
    fs.rmSync(tmp, { force: true });
    const why = made.status !== 0 ? made.stderr || made.error?.message : `it does not load: ${loads?.stderr || loads?.error?.message}`;
    const what = codeCache ? "the startup snapshot stays without a code cache" : "no startup snapshot (its command line will start from its bundle)";
    console.warn(`bundle: ${what} in ${path.relative(root, dist)}: ${why}`);
  }
}

/**
 * BLOB.node: a file dated as the node that made BLOB (touch -r: to the nanosecond), which
 * bin/front.sh must find to be dated as the node it runs (no process to ask its version; a
 * hard link failed for users who may not link root's files, across filesystems and in
 * packs). Without it the snapshot is left unused and the bundle serves.
 */
function sameNode(blob) {
  const stamp = `${blob}.node`;
  fs.writeFileSync(stamp, `${process.execPath}\n`);
  const touched = spawnSync("touch", ["-r", process.execPath, stamp], { encoding: "utf8" });
  if (touched.status !== 0) {
    fs.rmSync(stamp, { force: true });
    console.warn(`bundle: the startup snapshot in ${path.relative(root, path.dirname(blob))} will not be used: touch -r ${process.execPath} failed: ${touched.stderr || touched.error?.message}`);
  }
}
