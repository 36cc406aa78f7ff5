// The entry of myrunc's V8 startup snapshot (scripts/bundle.mjs builds it with
// `node --build-snapshot`; bin/myrunc starts node from it). containerd calls the runtime
// four times or more per container: from the snapshot each call finds the command line
// compiled and its modules loaded, and pays little more than node's own start.
import fs from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import { exitNow } from "../util/fsat.js";
import { commandLine } from "./main.js";

// bin/myrunc names this file first: where the snapshot was built, or a copy of the tree
// made since, whose paths baked into the snapshot (the shim's, the addon's) would lead back
// to the first: a copy runs its own bundle instead (bin/myrunc.cjs, with its compile cache).
const builtAt = fileURLToPath(import.meta.url);

// Made now, at the snapshot's making: each run finds its commands and options defined.
const run = commandLine();

v8.startupSnapshot.setDeserializeMainFunction(() => {
  forgetTunables();
  const entry = process.argv[1] ?? "";
  if (entry === builtAt || realpathOr(entry) === builtAt) {
    // Once the command is through, the process ends at once: Node's teardown (its threads
    // joined, its heap freed) costs milliseconds that every call would pay. Every write of
    // myrunc's is synchronous (log.ts), so nothing is pending.
    void run(process.argv).then(() => end(Number(process.exitCode ?? 0)));
    return;
  }
  createRequire(entry)("../../../bin/myrunc.cjs");
});

/** bin/myrunc's malloc tunable was for node's start: the shim and what it runs get the caller's environment. */
function forgetTunables(): void {
  if (process.env["MYRUNC_SET_TUNABLES"] !== "1") return;
  delete process.env["GLIBC_TUNABLES"];
  delete process.env["MYRUNC_SET_TUNABLES"];
}

/** _exit, or Node's own exit where the addon cannot load (native/ not built yet, or older than this code). */
function end(status: number): void {
  try {
    exitNow(status);
  } catch {
    process.exit(status);
  }
}

function realpathOr(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}
