// tar-split: everything of a layer's tar stream except file contents (headers, padding,
// trailing blocks), with each file content replaced by the path it was extracted to.
// With the extracted directory it rebuilds the exact original stream, so that save and
// push reproduce the layer's diffID without keeping a second copy of every layer.
import fs from "node:fs";
import { zlib } from "../../util/lazy-require.js";
import { MydockerError } from "../../util/errors.js";
import { RESOLVE_BENEATH, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, openDir, openat2 } from "../../util/fsat.js";
import type { SplitSink } from "./reader.js";

type Segment =
  | { kind: "raw"; bytes: Buffer[] }
  | { kind: "file"; size: number; path: string | null }
  | { kind: "inline"; bytes: Buffer };

/**
 * Opens a file the record names, inside the layer directory only: a layer's files are
 * untrusted, so no symlink (anywhere on the path) is followed.
 */
function openInside(rootFd: number, rel: string): number {
  return openat2(rootFd, rel, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW, 0, RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH);
}

function readInside(root: string, rel: string): Buffer {
  const rootFd = openDir(root);
  try {
    const fd = openInside(rootFd, rel);
    try {
      return fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } finally {
    fs.closeSync(rootFd);
  }
}

const enum Tag {
  Raw = 0x52,
  File = 0x46,
  Inline = 0x49,
}

export class SplitRecorder implements SplitSink {
  private readonly segments: Segment[] = [];
  private readonly byPath = new Map<string, number>();
  /** The segment of the entry being read, until attach or inline claims it. */
  private pending = -1;

  constructor(private readonly root: string) {}

  raw(bytes: Buffer): void {
    const last = this.segments[this.segments.length - 1];
    // Copy: the reader hands out views of large input chunks.
    if (last?.kind === "raw") last.bytes.push(Buffer.from(bytes));
    else this.segments.push({ kind: "raw", bytes: [Buffer.from(bytes)] });
  }

  data(size: number): void {
    this.pending = this.segments.length;
    this.segments.push({ kind: "file", size, path: null });
  }

  private claim(): number {
    const index = this.pending;
    if (index < 0) throw new Error("tar-split: no pending file contents");
    this.pending = -1;
    return index;
  }

  /** The contents just announced by data() were written to this path (relative to root). */
  attach(relPath: string): void {
    const index = this.claim();
    this.segments[index] = { kind: "file", size: (this.segments[index] as { size: number }).size, path: relPath };
    this.byPath.set(relPath, index);
  }

  /** The contents just announced by data() are not kept on disk: keep them here. */
  inline(bytes: Buffer): void {
    this.segments[this.claim()] = { kind: "inline", bytes };
  }

  /** Called before a path (and, for a directory, what is below it) is replaced or removed. */
  beforeRemove(relPath: string): void {
    if (this.byPath.size === 0) return;
    const prefix = `${relPath}/`;
    for (const [p, index] of this.byPath) {
      if (p === relPath || p.startsWith(prefix)) {
        this.segments[index] = { kind: "inline", bytes: readInside(this.root, p) };
        this.byPath.delete(p);
      }
    }
  }

  /** Writes the record, gzip-compressed. */
  save(file: string): void {
    const parts: Buffer[] = [];
    for (const s of this.segments) {
      if (s.kind === "raw") {
        const bytes = Buffer.concat(s.bytes);
        const head = Buffer.alloc(5);
        head[0] = Tag.Raw;
        head.writeUInt32BE(bytes.length, 1);
        parts.push(head, bytes);
      } else if (s.kind === "inline") {
        const head = Buffer.alloc(5);
        head[0] = Tag.Inline;
        head.writeUInt32BE(s.bytes.length, 1);
        parts.push(head, s.bytes);
      } else {
        if (s.path === null) throw new Error("tar-split: file contents never attached");
        const p = Buffer.from(s.path, "utf8");
        const head = Buffer.alloc(13);
        head[0] = Tag.File;
        head.writeBigUInt64BE(BigInt(s.size), 1);
        head.writeUInt32BE(p.length, 9);
        parts.push(head, p);
      }
    }
    fs.writeFileSync(file, zlib().gzipSync(Buffer.concat(parts), { level: 1 }));
  }
}

function broken(why: string): MydockerError {
  return new MydockerError("layer_corrupt", `stored layer is damaged: ${why}`);
}

/**
 * Rebuilds the original tar stream of a layer from its tar-split record and its directory.
 * borrowed: file contents come in one buffer read into again for the next chunk (valid only
 * until the next is asked for), for a consumer that copies or hashes each chunk at once:
 * a push of gigabytes would otherwise leave a buffer per MiB to the collector, which takes
 * them late (peak RSS).
 */
export async function* reassemble(splitFile: string, root: string, borrowed = false): AsyncGenerator<Buffer> {
  const record = zlib().gunzipSync(fs.readFileSync(splitFile));
  const rootFd = openDir(root);
  try {
    yield* replay(record, rootFd, borrowed);
  } finally {
    fs.closeSync(rootFd);
  }
}

async function* replay(record: Buffer, rootFd: number, borrowed: boolean): AsyncGenerator<Buffer> {
  let pos = 0;
  const chunk = Buffer.alloc(1 << 20);
  while (pos < record.length) {
    const tag = record[pos]!;
    if (tag === Tag.Raw || tag === Tag.Inline) {
      const length = record.readUInt32BE(pos + 1);
      yield record.subarray(pos + 5, pos + 5 + length);
      pos += 5 + length;
    } else if (tag === Tag.File) {
      const size = Number(record.readBigUInt64BE(pos + 1));
      const nameLength = record.readUInt32BE(pos + 9);
      const rel = record.toString("utf8", pos + 13, pos + 13 + nameLength);
      pos += 13 + nameLength;
      let fd: number;
      try {
        fd = openInside(rootFd, rel);
      } catch (e) {
        throw broken(`${rel}: ${(e as Error).message}`);
      }
      try {
        let left = size;
        while (left > 0) {
          const n = fs.readSync(fd, chunk, 0, Math.min(left, chunk.length), null);
          if (n === 0) throw broken(`${rel} is shorter than when it was extracted`);
          left -= n;
          yield borrowed ? chunk.subarray(0, n) : Buffer.from(chunk.subarray(0, n));
        }
      } finally {
        fs.closeSync(fd);
      }
    } else {
      throw broken(`bad tar-split record tag ${tag}`);
    }
  }
}
