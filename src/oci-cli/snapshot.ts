// The entry of myrunc's V8 startup snapshot (scripts/bundle.mjs builds it with
// `node --build-snapshot`; bin/front.sh starts node from it). containerd calls the runtime
// four times or more per container: from the snapshot each call finds the command line
// compiled and its modules loaded, and pays little more than node's own start.
import { fileURLToPath } from "node:url";
import { exitNow } from "../util/fsat.js";
import { snapshotMain } from "../util/snapshot-main.js";
import { commandLine } from "./main.js";

// Made now, at the snapshot's making: each run finds its commands and options defined.
const run = commandLine();

snapshotMain(fileURLToPath(import.meta.url), "../../../bin/myrunc.cjs", (argv) => {
  // Once the command is through, the process ends at once: Node's teardown (its threads
  // joined, its heap freed) costs milliseconds that every call would pay. Every write of
  // myrunc's is synchronous (log.ts), so nothing is pending.
  void run(argv).then(() => end(Number(process.exitCode ?? 0)));
});

/** _exit, or Node's own exit where the addon cannot load (native/ not built yet, or older than this code). */
function end(status: number): void {
  try {
    exitNow(status);
  } catch {
    process.exit(status);
  }
}
