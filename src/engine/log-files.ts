// The files of a container's log (the monitor's max-file rotation: LOG.N .. LOG.1, then LOG),
// read a record at a time from where the reader last was, each record with its place.
import fs from "node:fs";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { isErrno } from "../util/errors.js";

/** A record's place across a log's files: the file's order of opening, then the byte offset. */
export type LogPosition = number;
const FILE_SPAN = 2 ** 42;

export interface RawRecord {
  line: Buffer;
  at: LogPosition;
}

export class LineFile {
  private offset = 0;
  private rest = Buffer.alloc(0);
  private readonly chunk = Buffer.alloc(64 * 1024);

  private constructor(
    readonly fh: FileHandle,
    readonly ino: number,
    readonly index: number,
  ) {}

  static async open(file: string, index: number): Promise<LineFile | undefined> {
    try {
      const fh = await fs.promises.open(file, "r");
      return new LineFile(fh, (await fh.stat()).ino, index);
    } catch (e) {
      if (isErrno(e, "ENOENT")) return undefined;
      throw e;
    }
  }

  /** Where the next record begins. */
  get position(): LogPosition {
    return this.index * FILE_SPAN + this.offset - this.rest.length;
  }

  /** Where this file's first record is. */
  get start(): LogPosition {
    return this.index * FILE_SPAN;
  }

  /** Reads on from a place in this file. */
  seek(at: LogPosition): void {
    this.offset = at - this.index * FILE_SPAN;
    this.rest = Buffer.alloc(0);
  }

  // Up to about a megabyte of records at a time (the shim splits lines at 16 KiB, so a record
  // is small): a big log, or a long line, is never all in memory.
  async readLines(): Promise<RawRecord[]> {
    const lines: RawRecord[] = [];
    for (let read = 0; read < 1024 * 1024; ) {
      const { bytesRead } = await this.fh.read(this.chunk, 0, this.chunk.length, this.offset);
      if (bytesRead === 0) break;
      read += bytesRead;
      let at = this.position;
      this.offset += bytesRead;
      let data = Buffer.concat([this.rest, this.chunk.subarray(0, bytesRead)]);
      for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a)) {
        lines.push({ line: data.subarray(0, nl), at });
        at += nl + 1;
        data = data.subarray(nl + 1);
      }
      this.rest = Buffer.from(data);
    }
    return lines;
  }

  // Everything up to the end of the file as it is now.
  async readAll(): Promise<RawRecord[]> {
    const all: RawRecord[] = [];
    for (let lines = await this.readLines(); lines.length > 0; lines = await this.readLines()) all.push(...lines);
    return all;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/** The rotated files of a log (LOG.N .. LOG.1), oldest first, numbered from 0. */
export async function openRotated(file: string): Promise<LineFile[]> {
  const base = path.basename(file);
  let names: string[];
  try {
    names = await fs.promises.readdir(path.dirname(file));
  } catch {
    return [];
  }
  const numbers = names.map((n) => (n.startsWith(`${base}.`) ? n.slice(base.length + 1) : "")).filter((n) => /^[1-9]\d*$/.test(n)).map(Number);
  const out: LineFile[] = [];
  for (const n of numbers.sort((a, b) => b - a)) {
    const f = await LineFile.open(`${file}.${n}`, out.length);
    if (f) out.push(f);
  }
  return out;
}
