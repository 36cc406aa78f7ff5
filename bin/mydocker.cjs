// mydocker without its startup snapshot (bin/mydocker chooses): its bundled command line
// (scripts/bundle.mjs) with a compile cache per command (bin/load-bundle.cjs).
"use strict";
const path = require("node:path");
const { runBundled, commandOf } = require("./load-bundle.cjs");

runBundled(path.join(__dirname, "../dist/src/cli"), commandOf(process.argv, ["--root", "--runroot"]));
