// docker's noOverwriteDirNonDir (the docker CLI's cp always asks for it): a tar extracted into
// a container may not replace a directory with something else, nor something else with a
// directory. The archive goes on unchanged; each entry is checked against what the
// container has at its path before it goes on, as dockerd checks each before writing it.
import path from "node:path";
import { Readable } from "node:stream";
import { TarReader } from "../../image/tar/reader.js";
import { MydockerError } from "../../util/errors.js";

/** What a container has at and under a path: its directories, and the rest (symlinks are the rest: lstat). */
export interface TreeKinds {
  dirs: Set<string>;
  others: Set<string>;
}

/** The archive from input, refused (an error on the stream) at the first entry that would change a path's kind under into. */
export function guardOverwrites(input: AsyncIterable<Buffer>, into: string, treeAt: (p: string) => Promise<TreeKinds>): Readable {
  return Readable.from(guarded(input, path.posix.normalize(into).replace(/(.)\/+$/, "$1"), treeAt), { objectMode: false });
}

async function* guarded(input: AsyncIterable<Buffer>, into: string, treeAt: (p: string) => Promise<TreeKinds>): AsyncGenerator<Buffer> {
  let raw: Buffer[] = [];
  const reader = new TarReader(input, { raw: (b) => raw.push(b), data: () => {} });
  // Looked at once per name at the top of the archive: the entries under one come together.
  const trees = new Map<string, Promise<TreeKinds>>();
  for (;;) {
    const h = await reader.next();
    if (h) {
      // A directory's name ends with "/": the path is without it.
      const target = path.posix.join(into, h.name).replace(/(.)\/+$/, "$1");
      const rel = path.posix.relative(into, target);
      if (rel !== "" && !rel.startsWith("..")) {
        const top = rel.split("/")[0]!;
        if (!trees.has(top)) trees.set(top, treeAt(path.posix.join(into, top)));
        const { dirs, others } = await trees.get(top)!;
        if (h.type !== "dir" && dirs.has(target)) throw new MydockerError("EISDIR", `cannot overwrite directory "${target}" with non-directory "${into}"`);
        if (h.type === "dir" && others.has(target)) throw new MydockerError("ENOTDIR", `cannot overwrite non-directory "${target}" with directory "${into}"`);
      }
    }
    if (raw.length) yield Buffer.concat(raw);
    raw = [];
    if (!h) return;
    for await (const chunk of reader.data()) yield chunk;
  }
}
