// mydocker run in the foreground: the container's stdio is ours, its exit status ours,
// and the signals we get are passed on to it.
import { Engine } from "../../engine/engine.js";
import { ExitError, requireRoot } from "../output.js";
import type { Context } from "../context.js";
import { createOptionsFromFlags, type CreateFlags } from "./run.js";
import { MydockerError } from "../../util/errors.js";

const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"];

export async function runCommand(ctx: Context, image: string, command: string[], flags: CreateFlags): Promise<void> {
  requireRoot();
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
  const handlers = new Map<NodeJS.Signals, () => void>();
  try {
    const handle = await engine.startForeground(id, { stdio: "inherit", stdin: Boolean(flags.interactive) });
    for (const sig of FORWARDED) {
      const h = () => handle.signal(sig);
      handlers.set(sig, h);
      process.on(sig, h);
    }
    const { exitCode } = await handle.wait();
    await engine.finish(id, exitCode);
    throw new ExitError(exitCode);
  } catch (e) {
    if (!(e instanceof ExitError)) await engine.abandon(id);
    throw e;
  } finally {
    for (const [sig, h] of handlers) process.off(sig, h);
    if (rawTty) process.stdin.setRawMode(false);
  }
}
