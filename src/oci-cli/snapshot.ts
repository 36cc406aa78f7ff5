// The entry of myrunc's V8 startup snapshot (scripts/bundle.mjs builds it with
// `node --build-snapshot`; bin/myrunc starts node from it). containerd calls the runtime
// four times or more per container: from the snapshot each call finds the command line
// compiled and its modules loaded, and pays little more than node's own start.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import { commandLine, type main } from "./main.js";

// bin/myrunc names this file first: where the snapshot was built, or a copy of the tree
// moved since, whose bundle (the same code) then runs from its own place, where the
// paths it finds from its location (the shim, the addon) are right.
const builtAt = fileURLToPath(import.meta.url);

// Made now, at the snapshot's making: each run finds its commands and options defined.
const run = commandLine();

v8.startupSnapshot.setDeserializeMainFunction(() => {
  const entry = path.resolve(process.argv[1] ?? "");
  if (entry === builtAt) {
    void run(process.argv);
    return;
  }
  const bundled = createRequire(entry)("./main.cjs") as { main: typeof main };
  void bundled.main(process.argv);
});
