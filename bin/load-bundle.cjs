// What bin/mydocker and bin/myrunc share: run a command line's bundle (scripts/bundle.mjs)
// with a V8 compile cache next to it, or its ES modules when the bundle is missing or
// older than them (a plain `tsc` since the last bundle). CommonJS (bin/package.json), so
// that no ES module loader starts (~5 ms).
"use strict";
const fs = require("node:fs");
const path = require("node:path");

function mtime(file) {
  return fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -1;
}

/**
 * Runs main(argv) of DIST/main.cjs (else DIST/main.js). COMMAND names the cache to use:
 * each command has its own, since a cache holds only what the run that wrote it compiled.
 */
function runBundled(dist, command) {
  const bundle = path.join(dist, "main.cjs");
  if (mtime(bundle) < mtime(path.join(dist, "main.js"))) {
    return import(path.join(dist, "main.js")).then((m) => m.main(process.argv));
  }
  const cli = loadBundle(bundle, dist, command);
  return cli.main(process.argv).finally(cli.saveCache);
}

/**
 * Compiles the bundle with the cache of an earlier run, if V8 accepts it. Without one, the
 * run writes one afterwards (best effort: a read-only install just goes without), holding
 * what that command compiled: the next runs skip parsing and compiling those functions.
 */
function loadBundle(bundle, dist, command) {
  const vm = require("node:vm");
  const { createRequire } = require("node:module");
  const cacheDir = `${bundle}.cache`;
  const cacheFile = path.join(cacheDir, command);
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const source = `(function (exports, require, module, __filename, __dirname) {${fs.readFileSync(bundle, "utf8")}\n})`;
  const script = new vm.Script(source, { filename: bundle, cachedData });
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, createRequire(bundle), mod, bundle, dist);
  const saveCache = () => {
    if (cachedData && !script.cachedDataRejected) return;
    const tmp = `${cacheFile}.${process.pid}`;
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {
      fs.rmSync(tmp, { force: true });
    }
  };
  return { main: mod.exports.main, saveCache };
}

/** The command of a command line (run, ps, ...), past the global options that take a value; "none" for --version and such. */
function commandOf(argv, valueOptions) {
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i];
    if (valueOptions.includes(arg)) i++;
    else if (!arg.startsWith("-")) return /^[a-z][a-z0-9-]{0,31}$/.test(arg) ? arg : "other";
  }
  return "none";
}

module.exports = { runBundled, commandOf };
