// A streaming tar reader. It pulls from an async byte source, so backpressure follows
// the consumer, and reports every byte it reads to an optional split sink: header
// bytes as raw, file contents as sizes (see tar-split.ts), so that the exact stream
// can be rebuilt later from the extracted files.
import { MydockerError } from "../../util/errors.js";
import {
  BlockSize,
  decodePax,
  decodeRawHeader,
  finishHeader,
  isZeroBlock,
  paddingFor,
  type PaxRecords,
  type TarHeader,
} from "./header.js";

export interface SplitSink {
  raw(bytes: Buffer): void;
  data(size: number): void;
}

/** The largest pax or long-name record accepted. */
export const MaxMetaSize = 1 << 20;

function truncated(): MydockerError {
  return new MydockerError("corrupt_archive", "truncated tar archive: the data ends in the middle of an entry");
}

/** Buffered reads of exact sizes over an async iterable of chunks. */
class ByteSource {
  private readonly iterator: AsyncIterator<Buffer>;
  private pending: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  private async pull(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.iterator.next();
    if (r.done) {
      this.ended = true;
      return false;
    }
    this.pending = this.pending.length === 0 ? r.value : Buffer.concat([this.pending, r.value]);
    return true;
  }

  /** Exactly n bytes, or null at a clean end of input; throws when the input stops in between. */
  async readExact(n: number): Promise<Buffer | null> {
    while (this.pending.length < n) {
      if (!(await this.pull())) {
        if (this.pending.length === 0) return null;
        throw truncated();
      }
    }
    const out = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(n);
    return out;
  }

  /** Between 1 and max bytes, as many as are at hand. */
  async readSome(max: number): Promise<Buffer> {
    if (this.pending.length === 0 && !(await this.pull())) throw truncated();
    const chunk = this.pending.subarray(0, Math.min(max, this.pending.length));
    this.pending = this.pending.subarray(chunk.length);
    return chunk;
  }

  /** Everything left in the input. */
  async *rest(): AsyncGenerator<Buffer> {
    if (this.pending.length > 0) yield this.pending;
    this.pending = Buffer.alloc(0);
    while (await this.pull()) {
      yield this.pending;
      this.pending = Buffer.alloc(0);
    }
  }
}

export class TarReader {
  private readonly source: ByteSource;
  private dataLeft = 0;
  private padLeft = 0;
  private finished = false;

  constructor(source: AsyncIterable<Buffer> | ByteSource, private readonly split?: SplitSink) {
    this.source = source instanceof ByteSource ? source : new ByteSource(source);
  }

  private async block(): Promise<Buffer | null> {
    const block = await this.source.readExact(BlockSize);
    if (block !== null) this.split?.raw(block);
    return block;
  }

  private async meta(size: number): Promise<Buffer> {
    if (size > MaxMetaSize) throw new MydockerError("corrupt_archive", "corrupt tar archive: oversized pax or long-name record");
    const total = size + paddingFor(size);
    const bytes = await this.source.readExact(total);
    if (bytes === null) throw truncated();
    this.split?.raw(bytes);
    return bytes.subarray(0, size);
  }

  /** The next entry's header, or null at the end of the archive (after which the input is drained). */
  async next(): Promise<TarHeader | null> {
    if (this.finished) return null;
    for await (const _ of this.data()) {
      // skip what the caller did not read
    }
    const pax: PaxRecords = new Map();
    let longName: string | undefined;
    let longLink: string | undefined;
    for (;;) {
      const block = await this.block();
      if (block === null || isZeroBlock(block)) {
        await this.finish();
        return null;
      }
      const raw = decodeRawHeader(block);
      if (raw.typeflag === "x" || raw.typeflag === "g") {
        // Global records apply to the rest of the archive in principle; in practice
        // (git archive) they carry only a comment, so both kinds apply to the next entry.
        decodePax(await this.meta(raw.size), pax);
        continue;
      }
      if (raw.typeflag === "L" || raw.typeflag === "K") {
        const text = (await this.meta(raw.size)).toString("utf8").replace(/\0+$/, "");
        if (raw.typeflag === "L") longName = text;
        else longLink = text;
        continue;
      }
      const header = finishHeader(raw, pax, longName, longLink);
      if (header.type !== "file") header.size = 0;
      this.dataLeft = header.size;
      this.padLeft = paddingFor(header.size);
      if (header.size > 0) this.split?.data(header.size);
      return header;
    }
  }

  /** The current entry's contents. */
  async *data(): AsyncGenerator<Buffer> {
    while (this.dataLeft > 0) {
      const chunk = await this.source.readSome(this.dataLeft);
      this.dataLeft -= chunk.length;
      yield chunk;
    }
    if (this.padLeft > 0) {
      const pad = await this.source.readExact(this.padLeft);
      this.padLeft = 0;
      // An input that ends right after the last entry's data, without its padding, ends the
      // archive, as Go's archive/tar reads it (the docker CLI's `build -f -` context is such).
      if (pad === null) {
        this.finished = true;
        return;
      }
      this.split?.raw(pad);
    }
  }

  private async finish(): Promise<void> {
    this.finished = true;
    for await (const chunk of this.source.rest()) this.split?.raw(Buffer.from(chunk));
  }
}
