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

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** One CommonJS file of entry and everything it imports, next to it (the same depth). */
async function bundle(entry, outfile) {
  await build({
    entryPoints: [entry],
    outfile,
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
}

// The two command lines: mydocker's, and myrunc's (src/oci-cli), which never loads the
// engine or its database.
for (const dir of ["dist/src/cli", "dist/src/oci-cli"]) {
  const outfile = path.join(root, dir, "main.cjs");
  await bundle(path.join(root, dir, "main.js"), outfile);
  // The compile caches bin/ keeps (one per command) belong to the previous bundle.
  fs.rmSync(`${outfile}.cache`, { recursive: true, force: true });
}

// myrunc's V8 startup snapshot (src/oci-cli/snapshot.ts, bin/myrunc). The old one goes
// first: should this one fail, bin/myrunc finds none and runs the bundle instead.
const oci = path.join(root, "dist/src/oci-cli");
const blob = path.join(oci, "main.blob");
fs.rmSync(blob, { force: true });
await bundle(path.join(oci, "snapshot.js"), path.join(oci, "snapshot.cjs"));
const tmp = `${blob}.${process.pid}`;
// The bundle is compiled whole into the snapshot: V8 compiles a function when it is first
// called, and a run would compile some hundred of them (~4 ms of its ~20 beyond node's
// start). --no-lazy holds only while the builder (scripts/snapshot-eager.cjs) compiles the
// bundle: a snapshot records the flags it was made under, and node loads it only under the same.
const made = spawnSync(process.execPath, ["--snapshot-blob", tmp, "--build-snapshot", path.join(root, "scripts/snapshot-eager.cjs")], {
  encoding: "utf8",
  cwd: oci,
  env: { ...process.env, MYRUNC_SNAPSHOT_BUNDLE: path.join(oci, "snapshot.cjs") },
});
// node warns that it has not verified every built-in it loads in a snapshot (child_process,
// module): the myrunc tests run from this snapshot, so those warnings are kept out of the
// build's output. A snapshot node would not load (it says so and exits) is not kept.
const loads = made.status === 0 && spawnSync(process.execPath, ["--snapshot-blob", tmp, path.join(oci, "snapshot.cjs"), "--version"], { encoding: "utf8" });
if (loads && loads.status === 0 && loads.stdout.startsWith("myrunc version")) {
  fs.renameSync(tmp, blob);
} else {
  fs.rmSync(tmp, { force: true });
  const why = made.status !== 0 ? made.stderr || made.error?.message : `it does not load: ${loads?.stderr || loads?.error?.message}`;
  console.warn(`bundle: no startup snapshot for myrunc (it will start from its bundle): ${why}`);
}
