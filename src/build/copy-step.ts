// COPY and ADD: sources from the context, a stage or an image, heredocs, and (ADD) URLs
// and local tar archives, extracted. The step's layer is made from tar entries and staged
// through the layer store's extractor like any other layer.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { resolveUser } from "../engine/user.js";
import { readLayeredFile } from "../engine/image-files.js";
import { decompressed, detectCompression } from "../image/compression.js";
import { canonicalInView } from "../image/overlay-view.js";
import { safeRelative } from "../image/layer-extract.js";
import { isTarStart } from "../image/tar/header.js";
import { TarReader } from "../image/tar/reader.js";
import { writeTar, type TarEntry } from "../image/tar/writer.js";
import { MydockerError } from "../util/errors.js";
import { BuildCache } from "./cache.js";
import { contentDigest, copyEntries, planCopy, type CopyItem, type CopyRequest, type Ownership } from "./copy-layer.js";
import type { Instruction } from "./dockerfile.js";
import { fetchUrl } from "./fetch-url.js";
import { nextConfig, stateOf, type ImageState, type Session } from "./session.js";
import { expandWord, jsonForm, splitWords, type Vars } from "./shell-words.js";
import { statIn, type SourceTree } from "./source-tree.js";

export interface CopySource {
  tree: SourceTree;
  /** What the tree is, for the cache key: "context", or the config id of the stage or image. */
  id: string;
}

/** The image's layer directories, topmost first. */
export function layerDirsOf(session: Session, state: ImageState): string[] {
  return [...state.config.rootfs.diff_ids].reverse().map((d) => session.engine.images.layers.dir(d));
}

function ownership(spec: string | undefined, dirs: string[]): Ownership | undefined {
  if (spec === undefined || spec === "") return undefined;
  const u = resolveUser(spec, (f) => readLayeredFile(dirs, f));
  // docker: a user without a group gets the group with the user's own number.
  return { uid: u.uid, gid: spec.includes(":") ? u.gid : u.uid };
}

function chmodOf(ins: Instruction): number | undefined {
  const v = ins.flags.get("chmod");
  if (v === undefined) return undefined;
  if (!/^[0-7]{3,4}$/.test(v)) throw new MydockerError("dockerfile_parse", `line ${ins.line}: invalid --chmod=${v}: give octal permissions, like 755`, 1);
  return parseInt(v, 8);
}

const isUrl = (s: string): boolean => /^https?:\/\//i.test(s);

/** Whether the file starts like a tar archive (plain, gzip or zstd): ADD extracts those. */
function isArchive(open: () => number): boolean {
  const fd = open();
  try {
    const head = Buffer.alloc(512);
    const n = fs.readSync(fd, head, 0, 512, 0);
    return detectCompression(head.subarray(0, n)) !== "none" || isTarStart(head.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
}

/** A local archive's entries moved under dest (their names made safe first, then prefixed). */
async function* archiveEntries(open: () => number, dest: string): AsyncGenerator<TarEntry> {
  const stream = fs.createReadStream("", { fd: open() });
  const reader = new TarReader(await decompressed(stream as AsyncIterable<Buffer>));
  const under = (name: string) => [dest, safeRelative(name)].filter((p) => p !== "").join("/");
  for (let h = await reader.next(); h !== null; h = await reader.next()) {
    const name = under(h.name);
    if (name === "") continue;
    const header = { ...h, name: h.type === "dir" ? `${name}/` : name, linkname: h.type === "link" ? under(h.linkname) : h.linkname };
    yield { header, body: h.type === "file" && h.size > 0 ? Buffer.concat(await collect(reader.data())) : undefined };
  }
}

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of source) out.push(c);
  return out;
}

export async function copyStep(session: Session, state: ImageState, ins: Instruction, vars: Vars, escape: string, source: CopySource): Promise<{ state: ImageState; cached: boolean }> {
  const add = ins.keyword === "ADD";
  for (const flag of ["parents", "exclude", "checksum", "keep-git-dir"]) {
    if (ins.flags.has(flag)) throw new MydockerError("dockerfile_parse", `line ${ins.line}: ${ins.keyword} --${flag} is not supported by mydocker build`, 1);
  }
  const words = jsonForm(ins.args) ?? splitWords(ins.args, escape).map((w) => (w.startsWith("<<") ? w : expandWord(w, vars, escape)));
  if (words.length < 2) throw new MydockerError("dockerfile_parse", `line ${ins.line}: ${ins.keyword} requires at least two arguments: a source and a destination`, 1);
  const dest = words.pop()!;
  const workdir = state.config.config?.WorkingDir || "/";
  const imageDirs = layerDirsOf(session, state);
  const imageTree: SourceTree = { dirs: imageDirs };
  const slash = dest.endsWith("/") || dest.endsWith("/.") || dest === ".";
  const canon = canonicalInView(imageDirs, path.posix.resolve(workdir, dest));
  const destIsDir = slash || statIn(imageTree, canon)?.st.isDirectory() === true;
  const intoDir = destIsDir || words.length > 1;
  if (words.length > 1 && !slash && !destIsDir) {
    throw new MydockerError("copy_dest", `line ${ins.line}: When using ${ins.keyword} with more than one source file, the destination must be a directory and end with a /`, 1);
  }
  const base = canon.replace(/^\/+/, "");
  const at = (name: string) => (intoDir ? [base, name].filter((p) => p !== "").join("/") : base);
  const items: CopyItem[] = [];
  const archives: { open: () => number; dest: string }[] = [];
  const inline: string[] = [];
  for (const w of words) {
    const doc = w.startsWith("<<") ? ins.heredocs.find((h) => h.name === w.replace(/^<<-?["']?|["']$/g, "")) : undefined;
    if (doc !== undefined) {
      items.push({ dest: at(doc.name), bytes: Buffer.from(doc.content), mode: 0o644 });
      inline.push(doc.content);
    } else if (add && isUrl(w)) {
      const got = await fetchUrl(w);
      items.push({ dest: at(got.name), bytes: got.bytes, mode: 0o600 });
    } else {
      for (const item of planCopy(source.tree, [w], intoDir ? `${canon}/` : canon, intoDir)) {
        const open = item.node?.open;
        if (add && open !== undefined && item.node!.rel === w.replace(/^\.?\/+/, "") && isArchive(open)) archives.push({ open, dest: base });
        else items.push(item);
      }
    }
  }
  const req: CopyRequest = {
    items,
    chown: ownership(ins.flags.get("chown"), imageDirs),
    chmod: chmodOf(ins),
    parentStat: (d) => statIn(imageTree, d)?.st,
    now: Date.now(),
  };
  const archiveDigests = archives.map((a) => fileDigest(a.open));
  const createdBy = `${ins.keyword} ${[...words, dest].join(" ")} # buildkit`;
  const key = BuildCache.key([state.id, ins.keyword, source.id, ins.flags.get("chown") ?? "", req.chmod ?? "", canon, await contentDigest(req), archiveDigests]);
  const hit = session.recall(key);
  if (hit !== undefined) return { state: hit, cached: true };
  const entries = async function* (): AsyncGenerator<TarEntry> {
    yield* copyEntries(req);
    for (const a of archives) yield* archiveEntries(a.open, a.dest);
  };
  const staged = await session.engine.images.layers.stage(writeTar(entries()), session.work);
  const next = stateOf(nextConfig(state.config, createdBy, { diffId: staged.diffId }));
  session.adopt(next, [staged]);
  session.remember(key, next);
  return { state: next, cached: false };
}

/** The digest of a whole file's bytes (an archive ADD extracts: its content is the key's part). */
function fileDigest(open: () => number): string {
  const fd = open();
  try {
    const hash = crypto.createHash("sha256");
    const buf = Buffer.alloc(1 << 20);
    for (let n = fs.readSync(fd, buf, 0, buf.length, null); n > 0; n = fs.readSync(fd, buf, 0, buf.length, null)) hash.update(buf.subarray(0, n));
    return hash.digest("hex");
  } finally {
    fs.closeSync(fd);
  }
}
