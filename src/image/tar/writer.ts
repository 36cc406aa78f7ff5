// Writes a tar stream from entries; each body must be exactly header.size bytes.
import { MydockerError } from "../../util/errors.js";
import { EndOfArchive, encodeHeader, paddingFor, type TarHeader } from "./header.js";

export interface TarEntry {
  header: TarHeader;
  body?: Buffer | AsyncIterable<Buffer>;
}

export function fileHeader(name: string, size: number, mode = 0o644, mtime = 0): TarHeader {
  return { name, type: "file", mode, uid: 0, gid: 0, size, mtime, linkname: "", uname: "", gname: "", devmajor: 0, devminor: 0, xattrs: new Map() };
}

export function dirHeader(name: string, mode = 0o755, mtime = 0): TarHeader {
  return { ...fileHeader(name, 0, mode, mtime), type: "dir" };
}

export async function* writeTar(entries: AsyncIterable<TarEntry> | Iterable<TarEntry>): AsyncGenerator<Buffer> {
  for await (const { header, body } of entries) {
    yield encodeHeader(header);
    if (header.type !== "file" || header.size === 0) continue;
    let written = 0;
    if (body === undefined) throw new Error(`tar entry ${header.name} has no body`);
    if (Buffer.isBuffer(body)) {
      written = body.length;
      yield body;
    } else {
      for await (const chunk of body) {
        written += chunk.length;
        yield chunk;
      }
    }
    if (written !== header.size) {
      throw new MydockerError("layer_corrupt", `${header.name}: wrote ${written} bytes, expected ${header.size}`);
    }
    const pad = paddingFor(header.size);
    if (pad > 0) yield Buffer.alloc(pad);
  }
  yield EndOfArchive;
}
