// Writing a stream to a path the user named (save -o, export -o). A regular file (or a
// missing one) is replaced atomically, so a failed write never leaves half an archive; a
// path that exists and is something else (a device, a FIFO, a terminal) is written into,
// never replaced: `save -o /dev/null` must not turn the host's /dev/null into a file.
import fs from "node:fs";
import path from "node:path";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { isErrno, MydockerError } from "../util/errors.js";

function cannotWrite(target: string, e: unknown): MydockerError {
  const reason = isErrno(e, "ENOENT") ? "no such directory" : isErrno(e, "EACCES") || isErrno(e, "EPERM") ? "permission denied" : (e as Error).message;
  return new MydockerError("EINVAL", `cannot write ${target}: ${reason}`);
}

type Writer = (out: Writable) => Promise<void>;

/** An interrupted stream may already have closed the fd: the close owes nothing more then. */
function closeWritten(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch (e) {
    if (!isErrno(e, "EBADF")) throw e;
  }
}

async function writeAll(fd: number, write: Writer): Promise<void> {
  const out = fs.createWriteStream("", { fd, autoClose: false });
  await write(out);
  if (!out.writableFinished) {
    out.end();
    await finished(out);
  }
}

export async function writeUserFile(target: string, write: Writer): Promise<void> {
  const st = fs.statSync(target, { throwIfNoEntry: false });
  if (st?.isDirectory()) throw new MydockerError("EINVAL", `cannot write ${target}: it is a directory`);
  if (st && !st.isFile()) {
    let fd: number;
    try {
      fd = fs.openSync(target, fs.constants.O_WRONLY);
    } catch (e) {
      throw cannotWrite(target, e);
    }
    try {
      return await writeAll(fd, write);
    } finally {
      closeWritten(fd);
    }
  }
  // Beside the target, so the rename cannot cross file systems; a name no other command picks.
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number;
  try {
    fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, st ? st.mode & 0o777 : 0o644);
  } catch (e) {
    throw cannotWrite(target, e);
  }
  try {
    try {
      await writeAll(fd, write);
    } finally {
      closeWritten(fd);
    }
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
