// docker exec: the exit status is the command's; signals we get are passed on.
import type { Engine } from "../../engine/engine.js";
import { envFromFlags } from "../flags.js";
import { forwardSignals } from "../signals.js";
import { ExitError } from "../output.js";

export interface ExecFlags {
  detach?: boolean;
  interactive?: boolean;
  tty?: boolean;
  env: string[];
  envFile: string[];
  user?: string;
  workdir?: string;
  privileged?: boolean;
}

export async function execCommand(
  engine: Engine,
  name: string,
  cmd: string[],
  f: ExecFlags,
): Promise<void> {
  const rawTty = Boolean(f.tty && process.stdin.isTTY && !f.detach);
  if (rawTty) process.stdin.setRawMode(true);
  const signals = forwardSignals();
  try {
    const handle = await engine.exec(name, {
      cmd,
      env: envFromFlags(f.env, f.envFile),
      user: f.user,
      workdir: f.workdir,
      tty: f.tty,
      detach: f.detach,
      interactive: f.interactive,
      privileged: f.privileged,
    });
    if (f.detach) return;
    signals.attach(handle);
    const { exitCode } = await handle.wait();
    throw new ExitError(exitCode);
  } finally {
    signals.stop();
    if (rawTty) process.stdin.setRawMode(false);
  }
}
