// docker attach and start -a/-i: our stdio on a detached container's attach socket until
// it exits (its exit status is then ours) or we detach (ctrl-p ctrl-q with a terminal).
import { parseDetachKeys, type AttachIo, type AttachSession } from "../../engine/attach.js";
import type { Engine } from "../../engine/engine.js";
import { ExitError } from "../output.js";
import { forwardSignals } from "../signals.js";

export interface AttachFlags {
  /** Our stdin goes to the container (if it keeps its stdin open). */
  stdin: boolean;
  /** Signals we get are passed on to the container (docker's --sig-proxy, not with a terminal). */
  sigProxy: boolean;
  /** docker's --detach-keys (default ctrl-p,ctrl-q). */
  detachKeys?: string;
}

function ioFor(engine: Engine, query: string, f: AttachFlags): { id: string; io: AttachIo; tty: boolean } {
  const c = engine.resolve(query);
  const tty = c.config.Tty;
  const stdin = f.stdin && c.config.OpenStdin;
  const detachKeys = f.detachKeys === undefined ? undefined : parseDetachKeys(f.detachKeys);
  const size = tty && process.stdout.isTTY ? { rows: process.stdout.rows, cols: process.stdout.columns } : undefined;
  return { id: c.id, io: { stdout: process.stdout, stderr: process.stderr, stdin: stdin ? process.stdin : undefined, tty, detachKeys, size }, tty };
}

type Signals = ReturnType<typeof forwardSignals>;

/**
 * Our terminal on the container until it exits (its exit status) or we detach (undefined).
 * signals were taken before the session was opened: its output may come before it is handed
 * over, and a signal sent on seeing it must reach the container, not end us.
 */
async function follow(engine: Engine, id: string, session: AttachSession, tty: boolean, f: AttachFlags, signals: Signals): Promise<number | undefined> {
  const raw = tty && Boolean(process.stdin.isTTY) && f.stdin;
  const resize = () => {
    if (process.stdout.isTTY) session.resize(process.stdout.rows, process.stdout.columns);
  };
  if (tty) resize();
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
      return undefined;
    }
  } finally {
    signals.stop();
    if (raw) process.stdin.setRawMode(false);
  }
  return engine.wait(id);
}

function exitWith(status: number | undefined): void {
  if (status !== undefined) throw new ExitError(status);
}

/** Runs open with the signals taken first; they are let go if opening fails. */
async function withSignals<T>(open: (signals: Signals) => Promise<T>): Promise<T> {
  const signals = forwardSignals();
  try {
    return await open(signals);
  } finally {
    signals.stop();
  }
}

export async function attachCommand(engine: Engine, query: string, f: AttachFlags): Promise<void> {
  const { id, io, tty } = ioFor(engine, query, f);
  exitWith(await withSignals(async (signals) => follow(engine, id, await engine.attach(id, io), tty, f, signals)));
}

async function startAttached(engine: Engine, query: string, f: AttachFlags): Promise<number | undefined> {
  const { io, tty } = ioFor(engine, query, f);
  return withSignals(async (signals) => {
    const { id, session } = await engine.startAttached(query, io);
    // Already running: docker start -a attaches to it all the same.
    return follow(engine, id, session ?? (await engine.attach(id, io)), tty, f, signals);
  });
}

export async function startAttachedCommand(engine: Engine, query: string, f: AttachFlags): Promise<void> {
  exitWith(await startAttached(engine, query, f));
}

/**
 * docker run -it: the container runs under its monitor with our terminal attached, so that
 * the detach keys leave it running. With --rm, it is removed here once its exit status is
 * read, or, after a detach, by the engine when it exits.
 */
export async function runAttachedCommand(engine: Engine, id: string, f: AttachFlags, autoRemove: boolean): Promise<void> {
  const status = await startAttached(engine, id, f);
  if (status !== undefined) {
    if (autoRemove) await engine.remove(id, { force: true });
    throw new ExitError(status);
  }
  if (!autoRemove) return;
  engine.containers.setHostConfig(id, { ...engine.resolve(id).hostConfig, AutoRemove: true });
  // It may have ended before it was marked: then nobody else will remove it.
  const now = engine.resolve(id).state.status;
  if (now !== "running" && now !== "paused" && now !== "restarting") await engine.remove(id, { force: true });
}
