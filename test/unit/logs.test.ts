import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { formatLogLine, parseTail, readLogs, type LogEntry, type ReadLogsOptions } from "../../src/engine/logs.js";
import { waitFor } from "../helpers/wait.js";

function tempLog(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-logs-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, "container.log");
}

// Second N of 2024-05-01 12:00 UTC, with a nanosecond part to check precision.
const ts = (sec: number, ns = 0) => `2024-05-01T12:00:${String(sec).padStart(2, "0")}.${String(ns).padStart(9, "0")}Z`;
const line = (sec: number, stream: string, tag: string, text: string) => `${ts(sec)} ${stream} ${tag} ${text}\n`;

async function collect(file: string, opts: ReadLogsOptions = {}): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of readLogs(file, opts)) out.push(e);
  return out;
}
// The lines as a reader joins them: an entry goes on into the next of its stream while partial.
function texts(es: LogEntry[]): string[] {
  const open = new Map<string, string>();
  const out: string[] = [];
  for (const e of es) {
    const text = (open.get(e.stream) ?? "") + e.text.toString();
    if (e.partial) open.set(e.stream, text);
    else {
      open.delete(e.stream);
      out.push(`${e.stream}:${text}`);
    }
  }
  return [...out, ...[...open].map(([stream, text]) => `${stream}:${text}`)];
}

test("reads PATH.1 then PATH, joining partial lines per stream", async (t) => {
  const file = tempLog(t);
  fs.writeFileSync(`${file}.1`, line(1, "stdout", "F", "one") + line(2, "stdout", "P", "tw"));
  fs.writeFileSync(
    file,
    line(3, "stderr", "F", "err") + line(4, "stdout", "F", "o") + line(5, "stdout", "F", "") + "garbage line\n",
  );
  const es = await collect(file);
  assert.deepEqual(texts(es), ["stdout:one\n", "stderr:err\n", "stdout:two\n", "stdout:\n"]);
  // A line's parts come out as they were written, each with the time the line began.
  assert.deepEqual(
    es.map((e) => [e.text.toString(), e.partial, e.continued, e.time.toISOString()]),
    [
      ["one\n", false, false, "2024-05-01T12:00:01.000Z"],
      ["tw", true, false, "2024-05-01T12:00:02.000Z"],
      ["err\n", false, false, "2024-05-01T12:00:03.000Z"],
      ["o\n", false, true, "2024-05-01T12:00:02.000Z"],
      ["\n", false, false, "2024-05-01T12:00:05.000Z"],
    ],
  );
});

test("a line cut off by the end is still shown, without a newline", async (t) => {
  const file = tempLog(t);
  fs.writeFileSync(file, line(1, "stdout", "F", "a") + line(2, "stdout", "P", "no newline"));
  assert.deepEqual(texts(await collect(file)), ["stdout:a\n", "stdout:no newline"]);
});

test("--tail N keeps the last N lines; 0 none; --since/--until filter", async (t) => {
  const file = tempLog(t);
  fs.writeFileSync(file, [1, 2, 3, 4, 5].map((s) => line(s, "stdout", "F", `l${s}`)).join(""));
  assert.deepEqual(texts(await collect(file, { tail: 2 })), ["stdout:l4\n", "stdout:l5\n"]);
  assert.deepEqual(texts(await collect(file, { tail: 0 })), []);
  assert.equal((await collect(file, { tail: 99 })).length, 5);
  const since = new Date("2024-05-01T12:00:03Z");
  assert.deepEqual(texts(await collect(file, { since })), ["stdout:l3\n", "stdout:l4\n", "stdout:l5\n"]);
  assert.deepEqual(texts(await collect(file, { until: since })), ["stdout:l1\n", "stdout:l2\n", "stdout:l3\n"]);
  // Docker applies --tail before --since.
  assert.deepEqual(texts(await collect(file, { tail: 4, since: new Date("2024-05-01T12:00:04Z") })), ["stdout:l4\n", "stdout:l5\n"]);
});

test("a log of several megabytes: lines across read boundaries, --tail", async (t) => {
  const file = tempLog(t);
  const long = "x".repeat(70_000);
  const lines: string[] = [];
  for (let i = 0; i < 100; i++) lines.push(line(1, "stdout", "F", `${i} ${long}`));
  fs.writeFileSync(file, lines.join(""));
  const all = await collect(file);
  assert.equal(all.length, 100);
  assert.ok(all.every((e, i) => e.text.toString() === `${i} ${long}\n`));
  assert.deepEqual((await collect(file, { tail: 2 })).map((e) => e.text.subarray(0, 3).toString()), ["98 ", "99 "]);
});

test("no log file yet means no output", async (t) => {
  assert.deepEqual(await collect(tempLog(t)), []);
});

test("parseTail: numbers, or all", () => {
  assert.equal(parseTail("10"), 10);
  assert.equal(parseTail("0"), 0);
  assert.equal(parseTail("all"), undefined);
  assert.equal(parseTail("-1"), undefined);
  assert.equal(parseTail("x"), undefined);
});

test("formatLogLine: -t prefixes docker's fixed-width RFC3339Nano", async (t) => {
  const file = tempLog(t);
  fs.writeFileSync(file, `${ts(7, 1500)} stdout F hi\n`);
  const [e] = await collect(file);
  assert.equal(formatLogLine(e, false).toString(), "hi\n");
  assert.equal(formatLogLine(e, true).toString(), "2024-05-01T12:00:07.000001500Z hi\n");
});

test("follow: reads growth and rotation, ends when stopped and drained", async (t) => {
  const file = tempLog(t);
  fs.writeFileSync(file, line(1, "stdout", "F", "before"));
  let running = true;
  const got: LogEntry[] = [];
  const reader = (async () => {
    for await (const e of readLogs(file, { follow: true, tail: 1, isRunning: () => running, pollMs: 50 })) got.push(e);
  })();
  const until = async (n: number) => {
    const lines = () => got.filter((e) => !e.partial).length;
    await waitFor(() => lines() >= n, { what: `${n} lines, saw ${JSON.stringify(texts(got))}` });
    assert.equal(lines(), n, `saw ${JSON.stringify(texts(got))}`);
  };
  await until(1);
  fs.appendFileSync(file, line(2, "stdout", "P", "gr"));
  fs.appendFileSync(file, line(2, "stdout", "F", "own"));
  await until(2);
  // Rotation the way the shim does it: rename, then a new file.
  fs.appendFileSync(file, line(3, "stdout", "F", "last in old"));
  fs.renameSync(file, `${file}.1`);
  fs.writeFileSync(file, line(4, "stderr", "F", "first in new"));
  await until(4);
  fs.appendFileSync(file, line(5, "stdout", "F", "at exit"));
  running = false;
  await reader;
  assert.deepEqual(texts(got), ["stdout:before\n", "stdout:grown\n", "stdout:last in old\n", "stderr:first in new\n", "stdout:at exit\n"]);
});

test("follow: an abort signal ends it while the container runs", async (t) => {
  const file = tempLog(t);
  fs.writeFileSync(file, line(1, "stdout", "F", "x"));
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  const es = await collect(file, { follow: true, isRunning: () => true, signal: ac.signal, pollMs: 5000 });
  assert.deepEqual(texts(es), ["stdout:x\n"]);
});

test("follow: waits for a log file that does not exist yet", async (t) => {
  const file = tempLog(t);
  let running = true;
  setTimeout(() => {
    fs.writeFileSync(file, line(1, "stdout", "F", "late"));
    setTimeout(() => (running = false), 100);
  }, 50);
  assert.deepEqual(texts(await collect(file, { follow: true, isRunning: () => running, pollMs: 20 })), ["stdout:late\n"]);
});

test("--tail counts whole lines from the end, each streamed in its parts; streams interleaved", async (t) => {
  const file = tempLog(t);
  const parts = (sec: number, stream: string, n: number, last: string) => Array.from({ length: n }, () => line(sec, stream, "P", "x".repeat(16))).join("") + line(sec, stream, "F", last);
  fs.writeFileSync(`${file}.1`, line(1, "stdout", "F", "l1") + line(2, "stderr", "P", "e-begun-before-tail "));
  fs.writeFileSync(file, parts(3, "stdout", 5, "long-end") + line(4, "stderr", "F", "e-end") + line(5, "stdout", "P", "half") + line(6, "stderr", "F", "e2") + line(7, "stdout", "F", "-done"));
  const long = `stdout:${"x".repeat(80)}long-end\n`;
  assert.deepEqual(texts(await collect(file, { tail: 3 })), ["stderr:e-begun-before-tail e-end\n", "stderr:e2\n", "stdout:half-done\n"]);
  assert.deepEqual(texts(await collect(file, { tail: 4 })), [long, "stderr:e-begun-before-tail e-end\n", "stderr:e2\n", "stdout:half-done\n"]);
  // The stderr line began in the rotated file, before the long line: --tail 2 has no part of it.
  assert.deepEqual(texts(await collect(file, { tail: 2 })), ["stderr:e2\n", "stdout:half-done\n"]);
  const es = await collect(file, { tail: 4 });
  assert.equal(es.filter((e) => e.stream === "stdout" && e.continued).length, 6);
  assert.equal(formatLogLine(es.find((e) => e.stream === "stdout" && e.continued)!, true).toString(), "x".repeat(16));
  assert.match(formatLogLine(es.find((e) => e.stream === "stdout")!, true).toString(), /^2024-05-01T12:00:03.000000000Z x{16}$/);
  assert.deepEqual(texts(await collect(file, { tail: 4, since: new Date("2024-05-01T12:00:04Z") })), ["stderr:e2\n", "stdout:half-done\n"]);
});

test("--tail with a line still being written: followed, it comes out beside the last N as it goes on", async (t) => {
  const file = tempLog(t);
  fs.writeFileSync(file, line(1, "stdout", "F", "a") + line(2, "stdout", "F", "b") + line(3, "stderr", "P", "unfinished "));
  assert.deepEqual(texts(await collect(file, { tail: 1 })), ["stderr:unfinished "]);
  let running = true;
  const got: LogEntry[] = [];
  const reader = (async () => {
    for await (const e of readLogs(file, { follow: true, tail: 1, isRunning: () => running, pollMs: 50 })) got.push(e);
  })();
  await waitFor(() => got.length >= 2, { what: `two entries, saw ${JSON.stringify(texts(got))}` });
  fs.appendFileSync(file, line(4, "stderr", "F", "now done"));
  await waitFor(() => got.length >= 3, { what: "the line's end" });
  running = false;
  await reader;
  assert.deepEqual(texts(got), ["stdout:b\n", "stderr:unfinished now done\n"]);
});
