// How the command line reports: one line per error (a stack only with --debug), and
// docker's exit statuses.
import util from "node:util";
import type { Command } from "commander";
import { FlagError, MydockerError } from "../util/errors.js";

export interface GlobalFlags {
  debug: boolean;
  root?: string;
  runroot?: string;
}

export class ExitError extends Error {
  constructor(readonly status: number) {
    super(`exit ${status}`);
  }
}

/**
 * A system call's error as Go (and so docker) words it, "mkdir /x: file exists", rather
 * than Node's "EEXIST: file already exists, mkdir '/x'".
 */
function systemErrorText(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException & { dest?: string };
  if (typeof e?.errno !== "number" || typeof e.syscall !== "string") return undefined;
  const text = util.getSystemErrorMap().get(e.errno)?.[1] ?? e.code ?? `errno ${e.errno}`;
  return [e.syscall, e.path, e.dest].filter(Boolean).join(" ") + `: ${text}`;
}

/** What to tell the user of an error: its message, a system call's error in Go's words. */
export function errorText(err: unknown): string {
  return systemErrorText(err) ?? (err as Error)?.message ?? String(err);
}

export function fail(err: unknown, debug: boolean): number {
  if (err instanceof ExitError) return err.status;
  if (err instanceof MydockerError) {
    process.stderr.write(`mydocker: ${err.message}\n`);
    if (debug && err.stack) process.stderr.write(err.stack + "\n");
    return err.exitStatus;
  }
  const e = err as Error;
  process.stderr.write(`mydocker: ${errorText(err)}\n`);
  if (debug && e?.stack) process.stderr.write(e.stack + "\n");
  return 125;
}

const engineStatuses = new WeakMap<Command, number>();

/**
 * Declares the status docker's CLI exits with when the engine refuses this command: 125 for
 * `run` (docker/cli's runStartContainerErr), 1 for every command that declares nothing
 * (cmd/docker's exit path: an error that is no cli.StatusError exits 1).
 */
export function engineErrorStatus(cmd: Command, status: number): Command {
  engineStatuses.set(cmd, status);
  return cmd;
}

/**
 * The status an error ends `cmd` with, as docker's: an engine error's 125 becomes the command's
 * own status; a process's own status (exec, start -a) is passed on as it is.
 */
export function commandStatus(err: unknown, status: number, cmd: Command | undefined): number {
  if (status !== 125 || err instanceof FlagError || err instanceof ExitError) return status;
  return (cmd && engineStatuses.get(cmd)) ?? 1;
}

/** Runs the parsing of a command's flags: whatever it refuses is a flag error (125), as docker's create and run report it. */
export function parsingFlags<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof FlagError) throw e;
    throw new FlagError(e instanceof MydockerError ? e.code : "invalid_argument", errorText(e));
  }
}

export function requireRoot(): void {
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    throw new MydockerError("EPERM", "this command must run as root (it creates namespaces, mounts and cgroups): run it with sudo");
  }
}

/**
 * Runs fn for each name as docker's multi-container commands do: print what fn returns
 * (the name itself when it returns nothing), report each failure on its own line, go on,
 * and exit 1 if any failed.
 */
export async function forEachName(names: string[], fn: (name: string) => Promise<string | void>): Promise<void> {
  let failed = false;
  for (const n of names) {
    try {
      const out = await fn(n);
      process.stdout.write(`${out ?? n}\n`);
    } catch (e) {
      failed = true;
      process.stderr.write(`mydocker: ${errorText(e)}\n`);
    }
  }
  if (failed) throw new ExitError(1);
}
