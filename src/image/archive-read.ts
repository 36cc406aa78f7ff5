// Reads the members of an image archive (docker-archive or OCI layout in a tar) in one
// pass, without extracting anything: small members (JSON) are kept in memory, members
// that are tar streams (plain or compressed) are copied as they are into the work
// directory. The archive's manifest, which docker writes last, is read and checked
// before any layer is extracted (archive-load.ts), so an archive that is not an image
// writes no file system.
import fs from "node:fs";
import path from "node:path";
import { MydockerError } from "../util/errors.js";
import { decompressed, detectCompression, peek } from "./compression.js";
import { BlockSize, decodeRawHeader, isZeroBlock } from "./tar/header.js";
import { TarReader } from "./tar/reader.js";

/**
 * The largest member kept as metadata: the largest of the limits on what is read from an
 * archive (an image config, a manifest or index; containers/image's, docker's registry's).
 */
export const MaxJsonMember = 4 << 20;

export interface SpooledMember {
  /** The member's bytes, as they were in the archive, in the work directory. */
  file: string;
  size: number;
}

export interface ArchiveMembers {
  files: Map<string, Buffer>;
  /** Members that are tar streams: candidate layers. */
  blobs: Map<string, SpooledMember>;
  /** Members neither a tar stream nor small enough to be metadata, by size. */
  oversized: Map<string, number>;
  /** Symbolic links between members (docker-archive's <id>/layer.tar -> ../<hex>.tar). */
  links: Map<string, string>;
}

function looksLikeTar(head: Buffer): boolean {
  if (detectCompression(head) !== "none") return true;
  if (head.length < BlockSize) return false;
  const block = head.subarray(0, BlockSize);
  if (isZeroBlock(block)) return true;
  try {
    decodeRawHeader(block);
    return true;
  } catch {
    return false;
  }
}

function memberName(name: string): string {
  return path.posix.normalize(name).replace(/^(\.\/)+/, "").replace(/\/$/, "");
}

/** The member a name refers to, following member symlinks. */
export function resolveMember(members: ArchiveMembers, name: string): string {
  let current = memberName(name);
  for (let hops = 0; hops < 16; hops++) {
    const target = members.links.get(current);
    if (target === undefined) return current;
    current = target;
  }
  throw new MydockerError("corrupt_archive", `symbolic link loop at ${name} in the archive`);
}

async function spool(source: AsyncIterable<Buffer>, file: string): Promise<number> {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  let size = 0;
  try {
    for await (const chunk of source) {
      let off = 0;
      while (off < chunk.length) off += fs.writeSync(fd, chunk, off, chunk.length - off);
      size += chunk.length;
    }
  } finally {
    fs.closeSync(fd);
  }
  return size;
}

/** Reads the archive's members; tar streams land in files under work. */
export async function readArchiveMembers(input: AsyncIterable<Buffer>, work: string): Promise<ArchiveMembers> {
  const members: ArchiveMembers = { files: new Map(), blobs: new Map(), oversized: new Map(), links: new Map() };
  const reader = new TarReader(await decompressed(input));
  for (let h = await reader.next(); h !== null; h = await reader.next()) {
    const name = memberName(h.name);
    if (h.type === "symlink") {
      members.links.set(name, memberName(path.posix.join(path.posix.dirname(name), h.linkname)));
      continue;
    }
    if (h.type === "link") {
      members.links.set(name, memberName(h.linkname));
      continue;
    }
    if (h.type !== "file") continue;
    const { head, all } = await peek(reader.data(), BlockSize);
    if (looksLikeTar(head)) {
      const file = path.join(work, `member-${members.blobs.size}`);
      members.blobs.set(name, { file, size: await spool(all, file) });
    } else if (h.size <= MaxJsonMember) {
      const chunks: Buffer[] = [];
      for await (const chunk of all) chunks.push(Buffer.from(chunk));
      members.files.set(name, Buffer.concat(chunks));
    } else members.oversized.set(name, h.size);
  }
  return members;
}
