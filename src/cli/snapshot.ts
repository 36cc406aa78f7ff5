// The entry of mydocker's V8 startup snapshot (scripts/bundle.mjs builds it with
// `node --build-snapshot`; bin/front.sh starts node from it): every command finds the
// command line and the engine compiled and their modules loaded, and pays little more than
// node's own start. The native addons (better-sqlite3's, fsat.node) cannot be in a
// snapshot: they are loaded by path when a command first needs them.
import { fileURLToPath } from "node:url";
import { exitNow } from "../util/fsat.js";
import { snapshotMain } from "../util/snapshot-main.js";
import { commandLine } from "./main.js";
// What main loads on demand, loaded now, into the snapshot: outside it, a command that needs
// none of them (version, ps) does not pay for them.
import "../engine/engine.js";
import "./commands/run-action.js";
import "./commands/attach.js";
import "./commands/ps.js";
import "./commands/inspect.js";
import "./commands/logs.js";
import "./commands/exec.js";
import "./commands/cp.js";
import "./commands/events.js";
import "./commands/system-df.js";

// Made now, at the snapshot's making: each run finds its commands and options defined.
const run = commandLine();

snapshotMain(fileURLToPath(import.meta.url), "../../../bin/mydocker.cjs", (argv) => {
  // Once node is about to exit (its event loop empty: every write done), it ends at once:
  // its teardown (threads joined, the heap freed) costs ~2 ms that every command would pay.
  // Not if anything else waits for the exit event, nor where fsat.node cannot load.
  process.once("exit", (code) => {
    if (process.listenerCount("exit") > 0) return;
    try {
      exitNow(code);
    } catch {
      // node's own exit goes on.
    }
  });
  void run(argv);
});
