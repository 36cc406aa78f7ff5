// docker attach and start -a/-i: our stdio on a detached container's attach socket until
// it exits (its exit status is then ours) or we detach (ctrl-p ctrl-q with a terminal).
import type { AttachIo, AttachSession } from "../../engine/attach.js";
import type { Engine } from "../../engine/engine.js";
import { ExitError } from "../output.js";
import { forwardSignals } from "../signals.js";

export interface AttachFlags {
  /** Our stdin goes to the container (if it keeps its stdin open). */
  stdin: boolean;
  /** Signals we get are passed on to the container (docker's --sig-proxy, not with a terminal). */
  sigProxy: boolean;
}

function ioFor(engine: Engine, query: string, f: AttachFlags): { id: string; io: AttachIo; tty: boolean } {
  const c = engine.resolve(query);
  const tty = c.config.Tty;
  const stdin = f.stdin && c.config.OpenStdin;
  return { id: c.id, io: { stdout: process.stdout, stderr: process.stderr, stdin: stdin ? process.stdin : undefined, tty }, tty };
}

async function follow(engine: Engine, id: string, session: AttachSession, tty: boolean, f: AttachFlags): Promise<void> {
  const raw = tty && Boolean(process.stdin.isTTY) && f.stdin;
  const resize = () => {
    if (process.stdout.isTTY) session.resize(process.stdout.rows, process.stdout.columns);
  };
  if (tty) resize();
  const signals = forwardSignals();
  signals.attach({
    signal: (sig) => {
      if (f.sigProxy && !tty) engine.kill(id, sig).catch(() => {});
    },
    resize: tty ? resize : undefined,
  });
  if (raw) process.stdin.setRawMode(true);
  try {
    const exited = await session.done;
    if (!exited) {
      process.stderr.write("read escape sequence\n");
      return;
    }
  } finally {
    signals.stop();
    if (raw) process.stdin.setRawMode(false);
  }
  throw new ExitError(await engine.wait(id));
}

export async function attachCommand(engine: Engine, query: string, f: AttachFlags): Promise<void> {
  const { id, io, tty } = ioFor(engine, query, f);
  await follow(engine, id, await engine.attach(id, io), tty, f);
}

export async function startAttachedCommand(engine: Engine, query: string, f: AttachFlags): Promise<void> {
  const { io, tty } = ioFor(engine, query, f);
  const { id, session } = await engine.startAttached(query, io);
  // Already running: docker start -a attaches to it all the same.
  await follow(engine, id, session ?? (await engine.attach(id, io)), tty, f);
}
