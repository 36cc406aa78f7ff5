// `docker logs` over the CRI-format files the shim writes (`RFC3339NANO STREAM P|F TEXT`,
// rotated from PATH to PATH.1): tail, since/until, timestamps and follow.
import fs from "node:fs";
import path from "node:path";
import { EventEmitter } from "node:events";
import { dateToNanos, formatRfc3339NanoFixed, nanosToDate, parseRfc3339Nano, type UnixNanos } from "./timestamps.js";
import { isErrno } from "../util/errors.js";
import { LineFile, openRotated, type LogPosition, type RawRecord } from "./log-files.js";

const NEWLINE = Buffer.from("\n");

export type LogStream = "stdout" | "stderr";

export interface LogEntry {
  stream: LogStream;
  time: Date;
  /** The exact time of the line's first part, in Unix nanoseconds. */
  nanos: UnixNanos;
  /** A line, or a part of one, as the container wrote it; a line's last part ends in "\n" unless cut off. */
  text: Buffer;
  /** The line goes on in a later entry of the same stream. */
  partial: boolean;
  /** This entry goes on from an earlier one of the same stream (a line's time prefixes only its first). */
  continued: boolean;
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

/** The line each stream is in the middle of: where it began, and when. */
type OpenLines = Map<LogStream, { at: LogPosition; nanos: UnixNanos }>;

const other = (s: LogStream): LogStream => (s === "stdout" ? "stderr" : "stdout");

/**
 * Where --tail's last N lines begin, found without holding any line: the start of each line,
 * counted when it ends (lines cut off at the end count there), the last N kept. With each, where
 * the other stream's unfinished line began then (-1: none), so reading on from there places
 * every record. Kept as triples of numbers (start, the other's start, stream 0 stdout 1
 * stderr) in one array: a log of many short lines makes little garbage.
 */
async function tailStarts(files: LineFile[], n: number, follow: boolean): Promise<{ starts: Set<LogPosition>; from?: LogPosition; open: OpenLines }> {
  let ends: number[] = [];
  const open = new Map<LogStream, number>();
  const otherAt = new Map<LogStream, number>();
  const end = (stream: LogStream) => {
    ends.push(open.get(stream)!, otherAt.get(stream)!, stream === "stdout" ? 0 : 1);
    if (ends.length > 6 * n + 3072) ends = ends.slice(-3 * n);
    open.delete(stream);
  };
  for (const f of files) {
    for (let recs = await f.readLines(); recs.length > 0; recs = await f.readLines()) {
      for (const { line, at } of recs) {
        const r = parseCriLine(line);
        if (!r) continue;
        if (!open.has(r.stream)) {
          otherAt.set(r.stream, open.get(other(r.stream)) ?? -1);
          open.set(r.stream, at);
        }
        if (!r.partial) end(r.stream);
      }
    }
  }
  // Followed, a line still being written comes out as it goes on, beside the last N.
  const unfinished = [...open.keys()].sort((a, b) => open.get(a)! - open.get(b)!);
  if (!follow) for (const stream of unfinished) end(stream);
  const kept = n > 0 ? ends.slice(-3 * n) : [];
  if (follow) for (const stream of unfinished) kept.push(open.get(stream)!, otherAt.get(stream)!, stream === "stdout" ? 0 : 1);
  const starts = new Set<LogPosition>();
  let first = -1;
  for (let i = 0; i < kept.length; i += 3) {
    starts.add(kept[i]);
    if (first < 0 || kept[i] < kept[first]) first = i;
  }
  if (first < 0) return { starts, open: new Map() };
  // The other stream's line under way where reading resumes: before the first kept line, so not
  // kept; placed only so its later parts are known as its own. Its time is never asked.
  const resumed: OpenLines = new Map();
  if (kept[first + 1] >= 0) resumed.set(kept[first + 2] === 0 ? "stderr" : "stdout", { at: kept[first + 1], nanos: 0n });
  return { starts, from: kept[first], open: resumed };
}

/**
 * The log's lines, each as the records it was written in (the shim splits lines at 16 KiB):
 * a line is never held whole, so memory stays the same for a line of any length. A reader
 * joins an entry to the next while `partial` is set.
 */
export async function* readLogs(file: string, opts: ReadLogsOptions = {}): AsyncGenerator<LogEntry> {
  const since = toNanos(opts.since);
  const until = toNanos(opts.until);
  const tail = opts.tail !== undefined && opts.tail >= 0 ? opts.tail : undefined;
  const old = await openRotated(file);
  let current = await LineFile.open(file, old.length);
  const files = [...old, ...(current ? [current] : [])];
  try {
    // Docker applies --tail first, then --since; --until ends the output.
    let open: OpenLines = new Map();
    let chosen: Set<LogPosition> | undefined;
    let boundary = Infinity;
    if (tail !== undefined) {
      const found = await tailStarts(files, tail, Boolean(opts.follow));
      boundary = files.at(-1)?.position ?? 0;
      chosen = found.starts;
      open = found.open;
      // Read again from the first of them: earlier files skipped, later ones from their start.
      const from = found.from ?? boundary;
      for (const f of files) f.seek(Math.min(Math.max(from, f.start), f.position));
    }
    let ended = false;
    const entriesOf = (recs: RawRecord[]): LogEntry[] => {
      const out: LogEntry[] = [];
      for (const { line, at } of recs) {
        if (!opts.follow && at >= boundary) {
          ended = true;
          break;
        }
        const r = parseCriLine(line);
        if (!r) continue;
        const continued = open.has(r.stream);
        if (!continued) {
          if (until !== undefined && r.nanos > until) {
            ended = true;
            break;
          }
          open.set(r.stream, { at, nanos: r.nanos });
        }
        const start = open.get(r.stream)!;
        if (!r.partial) open.delete(r.stream);
        if (chosen && !chosen.has(start.at) && start.at < boundary) continue;
        if (since !== undefined && start.nanos < since) continue;
        const text = r.partial ? r.text : Buffer.concat([r.text, NEWLINE]);
        out.push({ stream: r.stream, nanos: start.nanos, time: nanosToDate(start.nanos), text, partial: r.partial, continued });
      }
      return out;
    };

    for (const f of files) {
      for (let recs = await f.readLines(); recs.length > 0 && !ended; recs = await f.readLines()) yield* entriesOf(recs);
    }
    if (!opts.follow || ended) return;

    const isRunning = opts.isRunning ?? (() => false);
    const watch = watchLog(file);
    try {
      while (!ended && !opts.signal?.aborted) {
        const running = isRunning();
        const fresh = current ? await current.readLines() : [];
        if (fresh.length > 0) {
          yield* entriesOf(fresh);
          continue;
        }
        const ino = await inode(file);
        if (ino !== undefined && ino !== current?.ino) {
          // Rotated (or created): finish the old file, whose last lines may have landed
          // after our last read but before the rename, then go on with the new one.
          if (current) yield* entriesOf(await current.readAll());
          const next = await LineFile.open(file, files.length);
          if (next) files.push(next);
          current = next;
          continue;
        }
        if (!running) break;
        await waitForChange(watch.events, opts.pollMs ?? 250, opts.signal);
      }
    } finally {
      watch.close();
    }
  } finally {
    for (const f of files) await f.close();
  }
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
  if (entry.continued) return entry.text;
  const prefix = `${timestamps ? `${formatRfc3339NanoFixed(entry.nanos)} ` : ""}${details === undefined ? "" : `${details} `}`;
  return prefix ? Buffer.concat([Buffer.from(prefix), entry.text]) : entry.text;
}
