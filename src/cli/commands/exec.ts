// docker exec: the exit status is the command's; signals we get are passed on. With -it the
// process's terminal is served by its monitor and we attach to it, so that the detach keys
// (ctrl-p ctrl-q, --detach-keys) leave it running, as docker's.
import { parseDetachKeys, type AttachIo } from "../../engine/attach.js";
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
  detachKeys?: string;
}

/** Our terminal, for an exec -it from one. */
function attachIo(f: ExecFlags): AttachIo | undefined {
  if (!f.tty || !f.interactive || f.detach || !process.stdin.isTTY) return undefined;
  const detachKeys = f.detachKeys === undefined ? undefined : parseDetachKeys(f.detachKeys);
  const size = process.stdout.isTTY ? { rows: process.stdout.rows, cols: process.stdout.columns } : undefined;
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, tty: true, detachKeys, size };
}

export async function execCommand(
  engine: Engine,
  name: string,
  cmd: string[],
  f: ExecFlags,
): Promise<void> {
  if (f.detachKeys !== undefined) parseDetachKeys(f.detachKeys);
  const attach = attachIo(f);
  const rawTty = Boolean(f.tty && process.stdin.isTTY && !f.detach);
  // Attached, the terminal is made raw once the session takes our input (as attach does).
  if (rawTty && !attach) process.stdin.setRawMode(true);
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
      attach,
    });
    if (f.detach) return;
    const session = handle.session;
    const resize = () => {
      if (process.stdout.isTTY) session?.resize(process.stdout.rows, process.stdout.columns);
    };
    signals.attach(session ? { signal: handle.signal, resize } : handle);
    if (session && rawTty) process.stdin.setRawMode(true);
    if (session && !(await session.done)) {
      process.stderr.write("read escape sequence\n");
      handle.release();
      return;
    }
    const { exitCode } = await handle.wait();
    throw new ExitError(exitCode);
  } finally {
    signals.stop();
    if (rawTty) process.stdin.setRawMode(false);
  }
}
