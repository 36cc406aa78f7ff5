// cp's noOverwriteDirNonDir check (engine/containers/copy-guard.ts) over a container given as
// its paths: which entries are refused, that the archive passes through byte for byte, and
// how often the container is looked at.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { guardOverwrites, type TreeKinds } from "../../src/engine/containers/copy-guard.js";
import { dirHeader, fileHeader, writeTar, type TarEntry } from "../../src/image/tar/writer.js";

/** A container with /t/dir/in, /t/file and /t/link (a symlink: not a directory). */
function container() {
  const looks: string[] = [];
  const dirs = ["/t/dir"];
  const others = ["/t/file", "/t/link", "/t/dir/in"];
  const treeAt = async (dir: string, depth: 1 | "all"): Promise<TreeKinds> => {
    looks.push(`${dir} ${depth}`);
    const under = (p: string) => (depth === 1 ? p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes("/") : p === dir || p.startsWith(`${dir}/`));
    return { dirs: new Set(dirs.filter(under)), others: new Set(others.filter(under)) };
  };
  return { looks, treeAt };
}

const file = (name: string, text = "x"): TarEntry => ({ header: fileHeader(name, text.length), body: Buffer.from(text) });
const archive = async (entries: TarEntry[]) => buffer(writeTar(entries));

test("an archive that changes no path's kind goes through byte for byte", async () => {
  const tar = await archive([{ header: dirHeader("dir/") }, file("dir/new"), file("file", "again"), file("fresh")]);
  const c = container();
  assert.deepEqual(await buffer(guardOverwrites(Readable.from([tar]), "/t/", c.treeAt)), tar);
});

test("a file over a directory, or a directory over a file or a symlink, is refused in dockerd's words", async () => {
  const cases: [TarEntry[], RegExp][] = [
    [[file("dir")], /^cannot overwrite directory "\/t\/dir" with non-directory "\/t"$/],
    [[{ header: dirHeader("file/") }], /^cannot overwrite non-directory "\/t\/file" with directory "\/t"$/],
    [[{ header: dirHeader("./link") }], /^cannot overwrite non-directory "\/t\/link" with directory "\/t"$/],
    [[{ header: dirHeader("dir/") }, { header: dirHeader("dir/in/") }], /^cannot overwrite non-directory "\/t\/dir\/in" with directory "\/t"$/],
  ];
  for (const [entries, message] of cases) {
    await assert.rejects(buffer(guardOverwrites(Readable.from([await archive(entries)]), "/t", container().treeAt)), (e: Error) => message.test(e.message));
  }
});

test("many new names cost one look at the destination; a directory entries go into, one more", async () => {
  const c = container();
  const many = Array.from({ length: 50 }, (_, i) => file(`./n${i}`));
  await buffer(guardOverwrites(Readable.from([await archive([...many, file("dir/a"), file("dir/b")])]), "/t", c.treeAt));
  assert.deepEqual(c.looks, ["/t 1", "/t/dir all"]);
});
