// docker's noOverwriteDirNonDir (the docker CLI's cp always asks for it): a tar extracted into
// a container may not replace a directory with something else, nor something else with a
// directory. The archive goes on unchanged; each entry is checked against what the
// container has at its path before it goes on, as dockerd checks each before writing it.
import path from "node:path";
import { Readable } from "node:stream";
import { TarReader } from "../../image/tar/reader.js";
import { MydockerError } from "../../util/errors.js";

/** What a container has at some paths: its directories, and the rest (symlinks are the rest: lstat). */
export interface TreeKinds {
  dirs: Set<string>;
  others: Set<string>;
}

/** The container's paths under a directory: depth 1, its entries; else its whole tree. */
export type TreeAt = (dir: string, depth: 1 | "all") => Promise<TreeKinds>;

/** The archive from input, refused (an error on the stream) at the first entry that would change a path's kind under into. */
export function guardOverwrites(input: AsyncIterable<Buffer>, into: string, treeAt: TreeAt): Readable {
  return Readable.from(guarded(input, path.posix.normalize(into).replace(/(.)\/+$/, "$1"), treeAt), { objectMode: false });
}

async function* guarded(input: AsyncIterable<Buffer>, into: string, treeAt: TreeAt): AsyncGenerator<Buffer> {
  let raw: Buffer[] = [];
  const reader = new TarReader(input, { raw: (b) => raw.push(b), data: () => {} });
  // Looked at lazily and once each: into's own entries, then the tree of each directory
  // among them that entries go into (an archive of many new names costs one look).
  let top: Promise<TreeKinds> | undefined;
  const trees = new Map<string, Promise<TreeKinds>>();
  const kinds = async (target: string, first: string): Promise<TreeKinds | undefined> => {
    const entries = await (top ??= treeAt(into, 1));
    if (target === first) return entries;
    if (!entries.dirs.has(first)) return undefined;
    if (!trees.has(first)) trees.set(first, treeAt(first, "all"));
    return trees.get(first);
  };
  for (;;) {
    const h = await reader.next();
    if (h) {
      // A directory's name ends with "/": the path is without it.
      const target = path.posix.join(into, h.name).replace(/(.)\/+$/, "$1");
      const rel = path.posix.relative(into, target);
      const known = rel !== "" && !rel.startsWith("..") ? await kinds(target, path.posix.join(into, rel.split("/")[0]!)) : undefined;
      if (known && h.type !== "dir" && known.dirs.has(target)) throw new MydockerError("EISDIR", `cannot overwrite directory "${target}" with non-directory "${into}"`);
      if (known && h.type === "dir" && known.others.has(target)) throw new MydockerError("ENOTDIR", `cannot overwrite non-directory "${target}" with directory "${into}"`);
    }
    if (raw.length) yield Buffer.concat(raw);
    raw = [];
    if (!h) return;
    for await (const chunk of reader.data()) yield chunk;
  }
}
