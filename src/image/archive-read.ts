// Reads the members of an image archive (docker-archive or OCI layout in a tar) in one
// pass: members that are tar streams (plain or compressed) are extracted as layers while
// they stream by, small ones (JSON) are kept in memory; the archive's manifest, which may
// come last, then says which is what.
import path from "node:path";
import { MydockerError } from "../util/errors.js";
import { decompressed, detectCompression, peek } from "./compression.js";
import type { LayerStore, StagedLayer } from "./layer-store.js";
import { shortId, type Progress } from "./progress.js";
import { BlockSize, decodeRawHeader, isZeroBlock } from "./tar/header.js";
import { TarReader } from "./tar/reader.js";

const MaxJsonMember = 64 << 20;

export interface ArchiveMembers {
  files: Map<string, Buffer>;
  layers: Map<string, StagedLayer>;
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

export async function readArchiveMembers(
  input: AsyncIterable<Buffer>,
  layers: LayerStore,
  work: string,
  progress?: Progress,
): Promise<ArchiveMembers> {
  const members: ArchiveMembers = { files: new Map(), layers: new Map(), links: new Map() };
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
      const id = shortId(path.posix.basename(name).replace(/\.tar$/, ""));
      const total = h.size;
      const report = progress && ((current: number) => progress({ kind: "layer", id, action: "extracting", current, total }));
      const staged = await layers.stage(all, work, report);
      progress?.({ kind: "layer", id, action: "done", current: total, total });
      members.layers.set(name, staged);
    } else if (h.size <= MaxJsonMember) {
      const chunks: Buffer[] = [];
      for await (const chunk of all) chunks.push(Buffer.from(chunk));
      members.files.set(name, Buffer.concat(chunks));
    }
  }
  return members;
}
