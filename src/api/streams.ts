// docker's stream framing. Without a tty, stdout and stderr share one connection as frames:
// [STREAM, 0, 0, 0, SIZE32BE] DATA (STREAM 1 stdout, 2 stderr); with one, the bytes as they are.
import { Writable } from "node:stream";

export const RAW_STREAM = "application/vnd.docker.raw-stream";
export const MULTIPLEXED_STREAM = "application/vnd.docker.multiplexed-stream";

export function frame(stream: 1 | 2, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(data.length, 4);
  return Buffer.concat([h, data]);
}

/** Writes to out, waiting while it is full: a slow client slows the writer, nothing piles up. */
function writerTo(out: Writable, wrap: (b: Buffer) => Buffer): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (out.destroyed || out.writableEnded) return cb();
      if (out.write(wrap(chunk))) cb();
      else {
        const done = () => {
          out.off("drain", done);
          out.off("close", done);
          cb();
        };
        out.on("drain", done);
        out.on("close", done);
      }
    },
  });
}

/** The container's stdout and stderr as writers onto one client stream; a stream not asked for is dropped. */
export function outputStreams(out: Writable, raw: boolean, want: { stdout: boolean; stderr: boolean }): { stdout: Writable; stderr: Writable } {
  const sink = () => new Writable({ write: (_c, _e, cb) => cb() });
  const of = (n: 1 | 2) => writerTo(out, raw ? (b) => b : (b) => frame(n, b));
  return { stdout: want.stdout ? of(1) : sink(), stderr: want.stderr ? of(2) : sink() };
}

/** Writes one chunk and waits until out takes more (or is gone). */
export function writeWaiting(out: Writable, data: Buffer | string): Promise<void> {
  if (out.destroyed) return Promise.resolve();
  if (out.write(data)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      out.off("drain", done);
      out.off("close", done);
      resolve();
    };
    out.on("drain", done);
    out.on("close", done);
  });
}
