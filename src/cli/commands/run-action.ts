// mydocker run in the foreground: the container's stdio is ours, its exit status ours,
// and the signals we get are passed on to it.
import { Engine } from "../../engine/engine.js";
import { forwardSignals } from "../signals.js";
import { ExitError } from "../output.js";
import type { Context } from "../context.js";
import { createOptionsFromFlags, type CreateFlags } from "./run.js";
import { MydockerError } from "../../util/errors.js";

export async function runCommand(ctx: Context, image: string, command: string[], flags: CreateFlags): Promise<void> {
  const engine: Engine = await ctx.engine();
  const opts = createOptionsFromFlags(image, command, flags);
  if (flags.detach) {
    if (opts.autoRemove === undefined) opts.autoRemove = false;
    const id = await engine.runDetached(opts);
    process.stdout.write(id + "\n");
    return;
  }
  const id = await engine.create(opts);
  const rawTty = Boolean(flags.tty && process.stdin.isTTY);
  if (flags.tty && !process.stdin.isTTY && flags.interactive) {
    await engine.remove(id, { force: true });
    throw new MydockerError("ENOTTY", "the input device is not a TTY");
  }
  if (rawTty) process.stdin.setRawMode(true);
  const signals = forwardSignals();
  try {
    const handle = await engine.startForeground(id, { stdio: "inherit", stdin: Boolean(flags.interactive) });
    signals.attach(handle);
    const { exitCode } = await handle.wait();
    await engine.finish(id, exitCode);
    throw new ExitError(exitCode);
  } catch (e) {
    if (!(e instanceof ExitError)) await engine.abandon(id);
    throw e;
  } finally {
    signals.stop();
    if (rawTty) process.stdin.setRawMode(false);
  }
}
