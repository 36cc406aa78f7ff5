// mydocker run: in the background (-d) or in the foreground, where the container's stdio is
// ours, its exit status ours, and the signals we get are passed on to it.
import type { Engine } from "../../engine/engine.js";
import type { CreateOptions } from "../../engine/run-options.js";
import { forwardSignals } from "../signals.js";
import { CidFile } from "../cidfile.js";
import type { RunHandle } from "../../runtime/index.js";
import { ExitError } from "../output.js";
import { MydockerError } from "../../util/errors.js";
import { parseDetachKeys } from "../../engine/attach.js";

export interface RunMode {
  detach?: boolean;
  cidfile?: string;
  interactive?: boolean;
  tty?: boolean;
  detachKeys?: string;
}

export async function runCommand(engine: Engine, opts: CreateOptions, mode: RunMode): Promise<void> {
  if (mode.detach) {
    if (opts.autoRemove === undefined) opts.autoRemove = false;
    const id = await CidFile.around(mode.cidfile, () => engine.create(opts));
    await engine.start(id);
    process.stdout.write(id + "\n");
    return;
  }
  // Before anything is made: a refused run leaves no container behind.
  if (mode.tty && mode.interactive && !process.stdin.isTTY) throw new MydockerError("ENOTTY", "the input device is not a TTY");
  if (mode.tty && mode.interactive) {
    // As docker: attached to the container's monitor, so that the detach keys can leave it running.
    const autoRemove = Boolean(opts.autoRemove);
    const id = await CidFile.around(mode.cidfile, () => engine.create({ ...opts, autoRemove: false }));
    const { runAttachedCommand } = await import("./attach.js");
    await runAttachedCommand(engine, id, { stdin: true, sigProxy: true, detachKeys: mode.detachKeys }, autoRemove);
    return;
  }
  if (mode.detachKeys !== undefined) parseDetachKeys(mode.detachKeys);
  const rawTty = Boolean(mode.tty && process.stdin.isTTY);
  if (rawTty) process.stdin.setRawMode(true);
  const signals = forwardSignals();
  const cidFile = CidFile.claim(mode.cidfile);
  let made = false;
  const onCreate = (id: string) => {
    made = true;
    cidFile?.write(id);
  };
  try {
    const io = { stdio: "inherit" as const, stdin: Boolean(mode.interactive), onCreate, onStart: (handle: RunHandle) => signals.attach(handle) };
    const { exitCode } = await engine.run(opts, io);
    throw new ExitError(exitCode);
  } catch (e) {
    if (!made) cidFile?.abandon();
    throw e;
  } finally {
    signals.stop();
    if (rawTty) process.stdin.setRawMode(false);
  }
}
