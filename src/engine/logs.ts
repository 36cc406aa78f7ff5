// `docker logs` over the CRI-format files the shim writes (`RFC3339NANO STREAM P|F TEXT`,
// rotated from PATH to PATH.1): tail, since/until, timestamps and follow.
import fs from "node:fs";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { EventEmitter } from "node:events";
import { dateToNanos, formatRfc3339NanoFixed, nanosToDate, parseRfc3339Nano, type UnixNanos } from "./timestamps.js";
import { isErrno } from "../util/errors.js";

export type LogStream = "stdout" | "stderr";

export interface LogEntry {
  stream: LogStream;
  time: Date;
  /** The exact time of the line's first part, in Unix nanoseconds. */
  nanos: UnixNanos;
  /** One line as the container wrote it, partial parts joined; ends in "\n" unless cut off. */
  text: Buffer;
}

export interface ReadLogsOptions {
  /** The last N lines only; undefined (or negative) means all. */
  tail?: number;
  /** Only lines at or after this time. */
  since?: Date | UnixNanos;
  /** Only lines at or before this time. */
  until?: Date | UnixNanos;
  /** Keep reading as the log grows, until isRunning() is false and the file is drained. */
  follow?: boolean;
  isRunning?: () => boolean;
  signal?: AbortSignal;
  /** How often to look at the file when no change notification arrives. */
  pollMs?: number;
}

interface CriRecord {
  nanos: UnixNanos;
  stream: LogStream;
  partial: boolean;
  text: Buffer;
}

// One line of the file without its "\n"; undefined for a line that is not CRI format.
export function parseCriLine(line: Buffer): CriRecord | undefined {
  const s1 = line.indexOf(0x20);
  const s2 = s1 < 0 ? -1 : line.indexOf(0x20, s1 + 1);
  if (s2 < 0) return undefined;
  const s3 = line.indexOf(0x20, s2 + 1);
  const nanos = parseRfc3339Nano(line.toString("latin1", 0, s1));
  const stream = line.toString("latin1", s1 + 1, s2);
  if (nanos === undefined || (stream !== "stdout" && stream !== "stderr")) return undefined;
  const tags = line.toString("latin1", s2 + 1, s3 < 0 ? line.length : s3).split(":");
  const text = s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1);
  return { nanos, stream, partial: tags.includes("P"), text };
}

// Joins each stream's partial records into whole lines.
class LineAssembler {
  private readonly pending = new Map<LogStream, CriRecord[]>();

  push(r: CriRecord): LogEntry | undefined {
    const parts = this.pending.get(r.stream) ?? [];
    parts.push(r);
    if (r.partial) {
      this.pending.set(r.stream, parts);
      return undefined;
    }
    this.pending.delete(r.stream);
    return entryOf(parts, true);
  }

  // Lines cut off by the container's end, oldest first.
  flush(): LogEntry[] {
    const out = [...this.pending.values()].map((parts) => entryOf(parts, false));
    this.pending.clear();
    return out.sort((a, b) => (a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0));
  }
}

function entryOf(parts: CriRecord[], complete: boolean): LogEntry {
  const texts = parts.map((p) => p.text);
  if (complete) texts.push(Buffer.from("\n"));
  return { stream: parts[0].stream, nanos: parts[0].nanos, time: nanosToDate(parts[0].nanos), text: Buffer.concat(texts) };
}

// Reads whole lines from an open file, from where it stopped last time.
class LineFile {
  private offset = 0;
  private rest = Buffer.alloc(0);
  private readonly chunk = Buffer.alloc(64 * 1024);

  private constructor(readonly fh: FileHandle, readonly ino: number) {}

  static async open(file: string): Promise<LineFile | undefined> {
    try {
      const fh = await fs.promises.open(file, "r");
      return new LineFile(fh, (await fh.stat()).ino);
    } catch (e) {
      if (isErrno(e, "ENOENT")) return undefined;
      throw e;
    }
  }

  // Up to about a megabyte of lines at a time, so a big log is never all in memory.
  async readLines(): Promise<Buffer[]> {
    const lines: Buffer[] = [];
    for (let read = 0; read < 1024 * 1024; ) {
      const { bytesRead } = await this.fh.read(this.chunk, 0, this.chunk.length, this.offset);
      if (bytesRead === 0) break;
      read += bytesRead;
      this.offset += bytesRead;
      let data = Buffer.concat([this.rest, this.chunk.subarray(0, bytesRead)]);
      for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a)) {
        lines.push(data.subarray(0, nl));
        data = data.subarray(nl + 1);
      }
      this.rest = Buffer.from(data);
    }
    return lines;
  }

  // Everything up to the end of the file as it is now.
  async readAll(): Promise<Buffer[]> {
    const all: Buffer[] = [];
    for (let lines = await this.readLines(); lines.length > 0; lines = await this.readLines()) all.push(...lines);
    return all;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

function toNanos(t: Date | UnixNanos | undefined): UnixNanos | undefined {
  return t instanceof Date ? dateToNanos(t) : t;
}

// Wakes a follower when the log's directory changes; polling covers hosts without inotify.
function watchLog(file: string): { events: EventEmitter; close: () => void } {
  const events = new EventEmitter();
  const names = new Set([path.basename(file), `${path.basename(file)}.1`]);
  try {
    const w = fs.watch(path.dirname(file), { persistent: false }, (_type, name) => {
      if (name === null || names.has(name.toString())) events.emit("change");
    });
    w.on("error", () => w.close());
    return { events, close: () => w.close() };
  } catch {
    return { events, close: () => undefined };
  }
}

function waitForChange(events: EventEmitter, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      events.off("change", done);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    events.once("change", done);
    signal?.addEventListener("abort", done, { once: true });
  });
}

async function inode(file: string): Promise<number | undefined> {
  try {
    return (await fs.promises.stat(file)).ino;
  } catch (e) {
    if (isErrno(e, "ENOENT")) return undefined;
    throw e;
  }
}

export async function* readLogs(file: string, opts: ReadLogsOptions = {}): AsyncGenerator<LogEntry> {
  const since = toNanos(opts.since);
  const until = toNanos(opts.until);
  const tail = opts.tail !== undefined && opts.tail >= 0 ? opts.tail : undefined;
  const assembler = new LineAssembler();
  // Docker applies --tail first, then --since; --until ends the output.
  let ended = false;
  const select = (entries: LogEntry[]): LogEntry[] => {
    const out: LogEntry[] = [];
    for (const e of entries) {
      if (until !== undefined && e.nanos > until) {
        ended = true;
        break;
      }
      if (since === undefined || e.nanos >= since) out.push(e);
    }
    return out;
  };
  const entriesOf = (lines: Buffer[]): LogEntry[] => {
    const out: LogEntry[] = [];
    for (const line of lines) {
      const r = parseCriLine(line);
      const e = r && assembler.push(r);
      if (e) out.push(e);
    }
    return out;
  };

  const old = await openRotated(file);
  let current = await LineFile.open(file);
  try {
    // What is there now: streamed out, or with --tail only the last lines kept.
    let backlog: LogEntry[] = [];
    const take = (entries: LogEntry[]) => {
      if (tail === undefined) return select(entries);
      backlog.push(...entries);
      if (backlog.length > tail) backlog = backlog.slice(backlog.length - tail);
      return [];
    };
    for (const f of [...old, current]) {
      if (!f) continue;
      for (let lines = await f.readLines(); lines.length > 0 && !ended; lines = await f.readLines()) {
        yield* take(entriesOf(lines));
      }
    }
    if (!opts.follow) yield* take(assembler.flush());
    yield* select(backlog);
    if (!opts.follow || ended) return;

    const isRunning = opts.isRunning ?? (() => false);
    const watch = watchLog(file);
    try {
      while (!ended && !opts.signal?.aborted) {
        const running = isRunning();
        const fresh = current ? await current.readLines() : [];
        if (fresh.length > 0) {
          yield* select(entriesOf(fresh));
          continue;
        }
        const ino = await inode(file);
        if (ino !== undefined && ino !== current?.ino) {
          // Rotated (or created): finish the old file, whose last lines may have landed
          // after our last read but before the rename, then go on with the new one.
          if (current) {
            yield* select(entriesOf(await current.readAll()));
            await current.close();
          }
          current = await LineFile.open(file);
          continue;
        }
        if (!running) break;
        await waitForChange(watch.events, opts.pollMs ?? 250, opts.signal);
      }
    } finally {
      watch.close();
    }
    if (!ended && !opts.signal?.aborted) yield* select(assembler.flush());
  } finally {
    for (const f of old) await f.close();
    await current?.close();
  }
}

/** The rotated files of a log (LOG.N .. LOG.1, the monitor's max-file rotation), oldest first. */
async function openRotated(file: string): Promise<LineFile[]> {
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
    const f = await LineFile.open(`${file}.${n}`);
    if (f) out.push(f);
  }
  return out;
}

// `docker logs --tail`: a number or "all"; like docker, anything else means all.
export function parseTail(value: string): number | undefined {
  if (!/^-?\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n < 0 ? undefined : n;
}

// One line as `docker logs` prints it; with -t prefixed by its time in RFC3339Nano (fixed).
/**
 * A log line as docker logs prints it: with --details, the line's attributes ("k=v,k2=v2",
 * none here: "") and a space before it; with --timestamps, its time before that.
 */
export function formatLogLine(entry: LogEntry, timestamps: boolean, details?: string): Buffer {
  const prefix = `${timestamps ? `${formatRfc3339NanoFixed(entry.nanos)} ` : ""}${details === undefined ? "" : `${details} `}`;
  return prefix ? Buffer.concat([Buffer.from(prefix), entry.text]) : entry.text;
}
