// A reader that went away (`mydocker logs c | head -1`) ends the command quietly, as a
// closed pipe ends any Unix tool (docker, in Go, dies of SIGPIPE): no stack, no message,
// status 141 (128 + SIGPIPE). A command that must undo something first (a frozen
// container in export) registers to be aborted instead, and exits once it has.
import os from "node:os";

/** 128 + SIGPIPE, what a shell reports for a tool its pipe's reader closed. */
export const CLOSED_STATUS = 128 + os.constants.signals.SIGPIPE;

let closed = false;
const aborters = new Set<() => void>();

export function outputClosed(): boolean {
  return closed;
}

/** While registered, a closed output calls abort instead of ending the process. */
export function onOutputClosed(abort: () => void): () => void {
  aborters.add(abort);
  return () => aborters.delete(abort);
}

export function watchOutputs(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE" && e.code !== "ERR_STREAM_DESTROYED") throw e;
      closed = true;
      if (aborters.size === 0) process.exit(CLOSED_STATUS);
      for (const abort of aborters) abort();
    });
  }
}
