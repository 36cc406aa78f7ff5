// Reads the members of an image archive (docker-archive or OCI layout in a tar) without
// extracting anything: small members (JSON) are kept in memory, members that are tar
// streams (plain or compressed) are located for later. The archive's manifest, which
// docker writes last, is read and checked before any layer is extracted
// (archive-load.ts), so an archive that is not an image writes no file system. From a
// plain archive file the layers are found by their offsets (only headers are read); a
// stream or a compressed archive has them copied, as they are, into the work directory.
import fs from "node:fs";
import path from "node:path";
import { MydockerError } from "../util/errors.js";
import { decompressed, detectCompression, peek } from "./compression.js";
import { BlockSize, decodePax, decodeRawHeader, finishHeader, isTarStart, isZeroBlock, paddingFor, type PaxRecords, type TarHeader } from "./tar/header.js";
import { MaxMetaSize, TarReader } from "./tar/reader.js";

/**
 * The largest member kept as metadata: the largest of the limits on what is read from an
 * archive (an image config, a manifest or index; containers/image's, docker's registry's).
 */
export const MaxJsonMember = 4 << 20;

interface SpooledMember {
  /** Where the member's bytes are, as they were in the archive: the archive file itself or a copy in the work directory. */
  file: string;
  start: number;
  size: number;
  /** A copy of ours, to remove once read. */
  copy: boolean;
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
  return detectCompression(head) !== "none" || isTarStart(head);
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
      members.blobs.set(name, { file, start: 0, size: await spool(all, file), copy: true });
    } else if (h.size <= MaxJsonMember) {
      const chunks: Buffer[] = [];
      for await (const chunk of all) chunks.push(Buffer.from(chunk));
      members.files.set(name, Buffer.concat(chunks));
    } else members.oversized.set(name, h.size);
  }
  return members;
}

function truncated(): MydockerError {
  return new MydockerError("corrupt_archive", "truncated tar archive: the data ends in the middle of an entry");
}

/**
 * The members of an uncompressed archive file, reading its headers and metadata members
 * only: layers are left where they are (start, size). Undefined when file is not a
 * regular file or is compressed: then it is read as a stream.
 */
export function indexArchiveFile(file: string): ArchiveMembers | undefined {
  // Not even opened unless regular: opening a FIFO would wait for its writer.
  if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) return undefined;
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const { size: fileSize, mode } = fs.fstatSync(fd);
    if ((mode & fs.constants.S_IFMT) !== fs.constants.S_IFREG) return undefined;
    const readAt = (length: number, at: number): Buffer => {
      if (at + length > fileSize) throw truncated();
      const buf = Buffer.alloc(length);
      for (let got = 0; got < length; ) {
        const n = fs.readSync(fd, buf, got, length - got, at + got);
        if (n === 0) throw truncated();
        got += n;
      }
      return buf;
    };
    if (fileSize >= 4 && detectCompression(readAt(4, 0)) !== "none") return undefined;
    const members: ArchiveMembers = { files: new Map(), blobs: new Map(), oversized: new Map(), links: new Map() };
    let pax: PaxRecords = new Map();
    let longName: string | undefined;
    let longLink: string | undefined;
    for (let pos = 0; pos + BlockSize <= fileSize; ) {
      const block = readAt(BlockSize, pos);
      pos += BlockSize;
      if (isZeroBlock(block)) break;
      const raw = decodeRawHeader(block);
      if (raw.typeflag === "x" || raw.typeflag === "g" || raw.typeflag === "L" || raw.typeflag === "K") {
        if (raw.size > MaxMetaSize) throw new MydockerError("corrupt_archive", "corrupt tar archive: oversized pax or long-name record");
        const meta = readAt(raw.size, pos);
        pos += raw.size + paddingFor(raw.size);
        if (raw.typeflag === "x" || raw.typeflag === "g") decodePax(meta, pax);
        else if (raw.typeflag === "L") longName = meta.toString("utf8").replace(/\0+$/, "");
        else longLink = meta.toString("utf8").replace(/\0+$/, "");
        continue;
      }
      const h = finishHeader(raw, pax, longName, longLink);
      pax = new Map();
      longName = longLink = undefined;
      const size = h.type === "file" ? h.size : 0;
      if (pos + size > fileSize) throw truncated();
      addIndexed(members, h, file, pos, (length) => readAt(length, pos));
      pos += size + paddingFor(size);
    }
    return members;
  } finally {
    fs.closeSync(fd);
  }
}

function addIndexed(members: ArchiveMembers, h: TarHeader, file: string, start: number, read: (length: number) => Buffer): void {
  const name = memberName(h.name);
  if (h.type === "symlink") members.links.set(name, memberName(path.posix.join(path.posix.dirname(name), h.linkname)));
  else if (h.type === "link") members.links.set(name, memberName(h.linkname));
  else if (h.type !== "file") return;
  else if (looksLikeTar(read(Math.min(h.size, BlockSize)))) members.blobs.set(name, { file, start, size: h.size, copy: false });
  else if (h.size <= MaxJsonMember) members.files.set(name, read(h.size));
  else members.oversized.set(name, h.size);
}
