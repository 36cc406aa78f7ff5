// What the two command lines' V8 startup snapshots (src/cli/snapshot.ts,
// src/oci-cli/snapshot.ts) do when node starts from one: bin/front.sh names the snapshot's
// entry file after `--snapshot-blob`, and node calls the main function set here.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import v8 from "node:v8";

/**
 * run is the snapshot's main when node was given builtAt, the entry the snapshot was made
 * from. A copy of the tree made since names its own, and would find the paths baked into
 * the snapshot (the shim's, the addons') lead back to the first tree: it runs its own node
 * entry, fallback (relative to the entry it names), instead.
 */
export function snapshotMain(builtAt: string, fallback: string, run: (argv: string[]) => void): void {
  v8.startupSnapshot.setDeserializeMainFunction(() => {
    const entry = process.argv[1] ?? "";
    if (entry === builtAt || realpathOr(entry) === builtAt) run(process.argv);
    // createRequire takes only an absolute path: the entry as the caller named it may be relative.
    else createRequire(path.resolve(entry))(fallback);
  });
}

function realpathOr(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}
