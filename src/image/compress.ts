// Layer compression for push, as a stream with bounded memory and on every core.
// gzip as pigz makes it: the input cut into blocks, each deflated on libuv's thread pool
// (zlib's async calls) primed with the previous block's last 32 KiB, the raw deflate
// pieces joined between one gzip header and trailer. The same input always gives the same
// bytes (fixed block size and level), so a layer pushed twice is the same blob.
// zstd through the zstd program (-T0: all cores): Node 20's zlib has no zstd encoder.
import { spawn } from "node:child_process";
import os from "node:os";
import { Readable } from "node:stream";
import { zlib } from "../util/lazy-require.js";
import { MydockerError } from "../util/errors.js";

export type PushCompression = "gzip" | "zstd";

const BlockSize = 1 << 20;
const Window = 32 << 10;
const Level = 6;

function deflateBlock(block: Buffer, dictionary: Buffer | undefined, last: boolean): Promise<Buffer> {
  const z = zlib();
  return new Promise((resolve, reject) =>
    z.deflateRaw(block, { level: Level, dictionary, finishFlush: last ? z.constants.Z_FINISH : z.constants.Z_SYNC_FLUSH }, (err, out) => (err ? reject(err) : resolve(out))),
  );
}

/** Whole blocks of size bytes (the last one shorter) out of any chunks. */
async function* blocks(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const chunk of source) {
    pending.push(chunk);
    length += chunk.length;
    while (length >= size) {
      const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
      yield all.subarray(0, size);
      pending = [all.subarray(size)];
      length -= size;
    }
  }
  if (length > 0 || pending.length === 0) yield Buffer.concat(pending);
}

/** A gzip member of source, deflated in parallel; at most a few blocks in memory. */
export async function* gzipParallel(source: AsyncIterable<Buffer>, parallel = Math.max(1, os.availableParallelism())): AsyncGenerator<Buffer> {
  const z = zlib();
  // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=255 (unknown): no time, no name, reproducible.
  yield Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
  let crc = 0;
  let size = 0;
  const inFlight: Promise<Buffer>[] = [];
  let previous: Buffer | undefined;
  const iterator = blocks(source, BlockSize)[Symbol.asyncIterator]();
  let current = await iterator.next();
  while (!current.done) {
    const block = current.value;
    const following = await iterator.next();
    crc = z.crc32(block, crc);
    size += block.length;
    const dictionary = previous && previous.subarray(Math.max(0, previous.length - Window));
    inFlight.push(deflateBlock(block, dictionary, following.done === true));
    previous = block;
    current = following;
    if (inFlight.length >= parallel) yield await inFlight.shift()!;
  }
  while (inFlight.length > 0) yield await inFlight.shift()!;
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size % 2 ** 32, 4);
  yield trailer;
}

/** source through `zstd -T0`, streamed both ways. */
export async function* zstdCompress(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const child = spawn("zstd", ["-3", "-T0", "-c", "-q", "--no-progress"], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on("error", (e) => reject(new MydockerError("compression", `zstd: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "the zstd program is not installed (apt-get install zstd)" : e.message}`)));
    child.on("close", resolve);
  });
  exited.catch(() => {});
  const feeding = (async () => {
    try {
      for await (const chunk of source) if (!child.stdin.write(chunk)) await new Promise((r) => child.stdin.once("drain", r));
      child.stdin.end();
    } catch (e) {
      child.kill();
      throw e;
    }
  })();
  feeding.catch(() => {});
  try {
    yield* child.stdout as Readable as AsyncIterable<Buffer>;
    await feeding;
    const status = await exited;
    if (status !== 0) throw new MydockerError("compression", `zstd failed (exit status ${status}): ${stderr.trim()}`);
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

export function compress(source: AsyncIterable<Buffer>, format: PushCompression): AsyncGenerator<Buffer> {
  return format === "zstd" ? zstdCompress(source) : gzipParallel(source);
}
