import assert from "node:assert/strict";
import { test } from "node:test";
import { safeRelative } from "../../src/image/layer-extract.js";
import { decodeRawHeader, encodeHeader, type TarHeader } from "../../src/image/tar/header.js";
import { TarReader } from "../../src/image/tar/reader.js";
import { fileHeader, writeTar } from "../../src/image/tar/writer.js";
import { MydockerError } from "../../src/util/errors.js";

async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of gen) parts.push(c);
  return Buffer.concat(parts);
}

async function* chunks(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

test("headers round-trip long names, big ids and binary xattrs through pax", async () => {
  const long = "d/".repeat(120) + "file-with-a-long-name";
  const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0xff, 0x0a]);
  const h: TarHeader = { ...fileHeader(long, 5, 0o4755, 1700000000), uid: 3000000, gid: 7, xattrs: new Map([["security.capability", cap]]) };
  const tar = await collect(writeTar([{ header: h, body: Buffer.from("hello") }, { header: { ...fileHeader("l", 0), type: "symlink", linkname: "/x".repeat(80) } }]));
  const reader = new TarReader(chunks(tar, 7));
  const first = (await reader.next())!;
  assert.equal(first.name, long);
  assert.equal(first.uid, 3000000);
  assert.equal(first.mode, 0o4755);
  assert.equal(first.mtime, 1700000000);
  assert.deepEqual(first.xattrs.get("security.capability"), cap);
  assert.equal((await collect(reader.data())).toString(), "hello");
  const second = (await reader.next())!;
  assert.equal(second.type, "symlink");
  assert.equal(second.linkname, "/x".repeat(80));
  assert.equal(await reader.next(), null);
});

test("a damaged header or a cut archive is refused", async () => {
  const block = encodeHeader(fileHeader("a", 10));
  block[0] = 0x62;
  assert.throws(() => decodeRawHeader(block), (e: unknown) => e instanceof MydockerError && e.code === "corrupt_archive");
  const tar = await collect(writeTar([{ header: fileHeader("a", 3000), body: Buffer.alloc(3000, 1) }]));
  const reader = new TarReader(chunks(tar.subarray(0, 2000), 512));
  await reader.next();
  await assert.rejects(collect(reader.data()), /truncated tar archive/);
});

test("an archive that ends right after its last entry's data, as Go's reader allows, ends there; cut in the padding it is refused", async () => {
  const tar = await collect(writeTar([{ header: fileHeader("a", 35), body: Buffer.alloc(35, 2) }]));
  const reader = new TarReader(chunks(tar.subarray(0, 512 + 35), 100));
  assert.equal((await reader.next())!.name, "a");
  assert.equal((await collect(reader.data())).length, 35);
  assert.equal(await reader.next(), null);
  const cut = new TarReader(chunks(tar.subarray(0, 512 + 40), 100));
  await cut.next();
  await assert.rejects(collect(cut.data()), /truncated tar archive/);
});

test("entry paths may not leave the root", () => {
  assert.equal(safeRelative("./a/b/"), "a/b");
  assert.equal(safeRelative("a/../b"), "b");
  assert.equal(safeRelative("./"), "");
  for (const bad of ["../x", "a/../../x", "/etc/passwd"]) assert.throws(() => safeRelative(bad), /refusing tar entry/);
});
