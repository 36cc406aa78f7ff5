// myrunc without its startup snapshot (bin/myrunc chooses): its bundled command line
// (scripts/bundle.mjs) with a compile cache per command (bin/load-bundle.cjs). state, kill
// and delete load nothing but the runtime.
"use strict";
const path = require("node:path");
const { runBundled, commandOf } = require("./load-bundle.cjs");

runBundled(path.join(__dirname, "../dist/src/oci-cli"), commandOf(process.argv, ["--root", "--log", "--log-format"]));
