// Bundles each command line (dist/src/cli/main.js, dist/src/oci-cli/main.js and everything
// they import) into one CommonJS file next to it, main.cjs, which bin/ loads: one file
// read and compiled instead of ~110 ES modules resolved and linked, which cost ~35 ms
// of every command's start. It sits at the same depth as main.js, so the paths the code
// finds from its own location (native/mydocker-shim, bin/mydocker) stay the same.
import { build } from "esbuild";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
// The two command lines: mydocker's, and myrunc's (src/oci-cli), which never loads the
// engine or its database.
for (const dir of ["dist/src/cli", "dist/src/oci-cli"]) {
  const outfile = path.join(root, dir, "main.cjs");
  await build({
    entryPoints: [path.join(root, dir, "main.js")],
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
  // The compile caches bin/ keeps (one per command) belong to the previous bundle.
  fs.rmSync(`${outfile}.cache`, { recursive: true, force: true });
}
