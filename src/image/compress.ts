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
import { collectYoungGarbage, returnLargeBuffersWhenFreed } from "../util/stream-memory.js";

export type PushCompression = "gzip" | "zstd";

const BlockSize = 1 << 20;
const Window = 32 << 10;
/** zlib's fast matcher: on executables and text ~2.3x the speed of level 6 for ~10% more bytes. */
const Level = 2;
/** A block whose first 64 KiB shrink by less than 3% is stored, not searched for matches (random or compressed data). */
const Sample = 64 << 10;
const Incompressible = 0.97;
/** Blocks between collections of the buffers that died meanwhile (see stream-memory.ts). */
const CollectEvery = 4;

function deflate(input: Buffer, options: import("node:zlib").ZlibOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => zlib().deflateRaw(input, options, (err, out) => (err ? reject(err) : resolve(out))));
}

async function deflateBlock(block: Buffer, dictionary: Buffer | undefined, last: boolean): Promise<Buffer> {
  const z = zlib();
  const sample = block.subarray(0, Sample);
  const trial = sample.length === 0 ? sample : await deflate(sample, { level: 1 });
  const level = sample.length > 0 && trial.length >= sample.length * Incompressible ? 0 : Level;
  // One output buffer that holds the whole block (stored blocks grow by 5 bytes per 64 KiB):
  // with zlib's 16 KiB default a block took 64 trips between the pool and the main thread,
  // which then sat idle while the pool waited on it.
  return deflate(block, { level, dictionary, chunkSize: BlockSize + Window, finishFlush: last ? z.constants.Z_FINISH : z.constants.Z_SYNC_FLUSH });
}

/** A gzip member of source, deflated in parallel; at most parallel+1 blocks in memory, their buffers reused. */
export async function* gzipParallel(source: AsyncIterable<Buffer>, parallel = Math.max(1, os.availableParallelism())): AsyncGenerator<Buffer> {
  const z = zlib();
  returnLargeBuffersWhenFreed();
  // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=255 (unknown): no time, no name, reproducible.
  yield Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
  // Blocks are copied into a few buffers used again and again: a push of gigabytes would
  // otherwise leave as much garbage for the collector, which takes it late (peak RSS).
  const free: Buffer[] = [];
  let block: Buffer = Buffer.allocUnsafeSlow(BlockSize);
  let filled = 0;
  let crc = 0;
  let size = 0;
  let dictionary: Buffer | undefined;
  let blocks = 0;
  const inFlight: Promise<Buffer>[] = [];
  const dispatch = (last: boolean): void => {
    if (++blocks % CollectEvery === 0) collectYoungGarbage();
    const buffer = block;
    const data = buffer.subarray(0, filled);
    crc = z.crc32(data, crc);
    size += filled;
    inFlight.push(deflateBlock(data, dictionary, last).finally(() => free.push(buffer)));
    dictionary = Buffer.from(data.subarray(Math.max(0, filled - Window)));
    block = free.pop() ?? Buffer.allocUnsafeSlow(BlockSize);
    filled = 0;
  };
  for await (const chunk of source) {
    for (let at = 0; at < chunk.length; ) {
      // A full block goes once more data shows it is not the last.
      if (filled === BlockSize) dispatch(false);
      const n = chunk.copy(block, filled, at, Math.min(chunk.length, at + BlockSize - filled));
      filled += n;
      at += n;
      while (inFlight.length >= parallel) yield await inFlight.shift()!;
    }
  }
  dispatch(true);
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

/**
 * The compressed stream of what open gives. gzip copies each chunk into its blocks at once,
 * so it takes borrowed chunks (one buffer read into again and again); zstd's pipe keeps a
 * chunk until the program has read it.
 */
export function compress(open: (borrowed: boolean) => AsyncIterable<Buffer>, format: PushCompression): AsyncGenerator<Buffer> {
  return format === "zstd" ? zstdCompress(open(false)) : gzipParallel(open(true));
}
