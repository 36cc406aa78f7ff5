// Push's compression: pigz-style gzip in blocks on the thread pool must be one valid gzip
// member (gunzip gives the input back), the same bytes every time, for any input size.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import zlib from "node:zlib";
import { test } from "node:test";
import { gzipParallel } from "../../src/image/compress.js";

async function gz(chunks: Buffer[], parallel?: number): Promise<Buffer> {
  const out: Buffer[] = [];
  async function* source() {
    yield* chunks;
  }
  for await (const c of gzipParallel(source(), parallel)) out.push(c);
  return Buffer.concat(out);
}

test("blocks of random, repetitive and text data make one gzip member that gunzips to the input", async () => {
  const text = Buffer.from("the same line of a config file, again and again\n".repeat(40_000));
  // Odd chunk sizes cross the 1 MiB block boundaries anywhere.
  const chunks = [crypto.randomBytes(1_500_000), Buffer.alloc(700_001, 7), text, crypto.randomBytes(3), Buffer.alloc(0)];
  const input = Buffer.concat(chunks);
  const output = await gz(chunks);
  assert.deepEqual(zlib.gunzipSync(output), input);
  assert.ok(output.length < input.length * 0.8, "what compresses is compressed");
  // Another split of the same bytes and another degree of parallelism: the same blob.
  assert.deepEqual(await gz([input.subarray(0, 10), input.subarray(10)], 1), output);
});

test("an empty input is a valid empty gzip member", async () => {
  const output = await gz([]);
  assert.equal(zlib.gunzipSync(output).length, 0);
});

test("chunks in one buffer filled again for the next (a layer read for push) compress as if each were its own", async () => {
  const input = Buffer.concat([crypto.randomBytes(2_000_000), Buffer.alloc(1_500_000, 3)]);
  const shared = Buffer.alloc(300_000);
  async function* borrowed() {
    for (let at = 0; at < input.length; at += shared.length) {
      const n = input.copy(shared, 0, at, at + shared.length);
      yield shared.subarray(0, n);
    }
  }
  const out: Buffer[] = [];
  for await (const c of gzipParallel(borrowed())) out.push(c);
  assert.deepEqual(zlib.gunzipSync(Buffer.concat(out)), input);
  assert.deepEqual(Buffer.concat(out), await gz([input]));
});
