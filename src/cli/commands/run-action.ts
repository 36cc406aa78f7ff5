// mydocker run: in the background (-d) or in the foreground, where the container's stdio is
// ours, its exit status ours, and the signals we get are passed on to it.
import type { Engine } from "../../engine/engine.js";
import type { CreateOptions } from "../../engine/run-options.js";
import { forwardSignals } from "../signals.js";
import { ExitError } from "../output.js";
import { MydockerError } from "../../util/errors.js";

export interface RunMode {
  detach?: boolean;
  interactive?: boolean;
  tty?: boolean;
}

export async function runCommand(engine: Engine, opts: CreateOptions, mode: RunMode): Promise<void> {
  if (mode.detach) {
    if (opts.autoRemove === undefined) opts.autoRemove = false;
    process.stdout.write((await engine.runDetached(opts)) + "\n");
    return;
  }
  // Before anything is made: a refused run leaves no container behind.
  if (mode.tty && mode.interactive && !process.stdin.isTTY) throw new MydockerError("ENOTTY", "the input device is not a TTY");
  const rawTty = Boolean(mode.tty && process.stdin.isTTY);
  if (rawTty) process.stdin.setRawMode(true);
  const signals = forwardSignals();
  try {
    const { exitCode } = await engine.run(opts, { stdio: "inherit", stdin: Boolean(mode.interactive), onStart: (handle) => signals.attach(handle) });
    throw new ExitError(exitCode);
  } finally {
    signals.stop();
    if (rawTty) process.stdin.setRawMode(false);
  }
}
