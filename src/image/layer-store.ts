// Layers on disk: each layer is extracted once into <root>/layers/<diffID hex>, used
// as-is as an overlay lower directory by every image that has it, with a tar-split
// record beside it (<hex>.tar-split.gz) that rebuilds the layer's exact tar stream.
import fs from "node:fs";
import path from "node:path";
import { MydockerError, isErrno } from "../util/errors.js";
import type { Digest } from "../spec/image.js";
import { decompressed, detectCompression, peek, type Compression } from "./compression.js";
import { HashingTap, digestHex } from "./digest.js";
import { extractLayer, type ExtractStats } from "./layer-extract.js";
import { TarReader } from "./tar/reader.js";
import { SplitRecorder, reassemble } from "./tar/split.js";

export interface StagedLayer {
  diffId: Digest;
  /** Bytes of the uncompressed tar. */
  size: number;
  /** Digest and size of the bytes as they came (compressed or not). */
  blobDigest: Digest;
  blobSize: number;
  compression: Compression;
  dir: string;
  splitFile: string;
  stats: ExtractStats;
}

interface StageProgress {
  (bytesRead: number): void;
}

let stagedCount = 0;

export class LayerStore {
  readonly root: string;

  constructor(imageRoot: string) {
    this.root = path.join(imageRoot, "layers");
    fs.mkdirSync(this.root, { recursive: true, mode: 0o700 });
  }

  dir(diffId: Digest): string {
    return path.join(this.root, digestHex(diffId));
  }

  splitFile(diffId: Digest): string {
    return `${this.dir(diffId)}.tar-split.gz`;
  }

  has(diffId: Digest): boolean {
    return fs.existsSync(this.splitFile(diffId));
  }

  /** Extracts a (possibly compressed) layer tar into a new directory under work. */
  async stage(source: AsyncIterable<Buffer>, work: string, progress?: StageProgress): Promise<StagedLayer> {
    const n = ++stagedCount;
    const dir = path.join(work, `layer-${n}`);
    const splitFile = path.join(work, `layer-${n}.tar-split.gz`);
    fs.mkdirSync(dir, { mode: 0o755 });
    const blob = new HashingTap();
    const tar = new HashingTap();
    const { head, all } = await peek(source, 4);
    const counted = progress === undefined ? blob.tap(all) : reportProgress(blob.tap(all), progress);
    const recorder = new SplitRecorder(dir);
    const stats = await extractLayer(new TarReader(tar.tap(await decompressed(counted)), recorder), dir, recorder);
    recorder.save(splitFile);
    return {
      diffId: tar.digest(),
      size: tar.size,
      blobDigest: blob.digest(),
      blobSize: blob.size,
      compression: detectCompression(head),
      dir,
      splitFile,
      stats,
    };
  }

  /** Moves a staged layer into the store; when the store has it already, drops the copy. */
  adopt(staged: StagedLayer): void {
    const dir = this.dir(staged.diffId);
    if (this.has(staged.diffId)) {
      fs.rmSync(staged.dir, { recursive: true, force: true });
      fs.rmSync(staged.splitFile, { force: true });
      return;
    }
    try {
      fs.renameSync(staged.dir, dir);
    } catch (e) {
      if (!isErrno(e, "ENOTEMPTY") && !isErrno(e, "EEXIST")) throw e;
      // A directory without its record is what an interrupted adopt leaves behind.
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(staged.dir, dir);
    }
    // The tar-split record lands last: its presence means the layer is complete.
    fs.renameSync(staged.splitFile, this.splitFile(staged.diffId));
  }

  /** The layer's original tar stream, checked against its diffID as it is produced (borrowed: see reassemble). */
  async *tar(diffId: Digest, borrowed = false): AsyncGenerator<Buffer> {
    const tap = new HashingTap();
    yield* tap.tap(reassemble(this.splitFile(diffId), this.dir(diffId), borrowed));
    if (tap.digest() !== diffId) {
      throw new MydockerError("layer_corrupt", `stored layer ${diffId} no longer matches its digest (its files were changed)`);
    }
  }

  /** A layer's short link, relative to root: l/ and 16 hex digits of its diffID. */
  private linkName(hex: string): string {
    return path.join("l", hex.slice(0, 16));
  }

  /**
   * Layer directories of this store as short names relative to root (links made as
   * needed): overlay options for deep images on kernels without lowerdir+. Other
   * directories (a container's init layer) stay as they are: absolute, the same from root.
   */
  shortLinks(dirs: string[]): { cwd: string; lower: string[] } {
    fs.mkdirSync(path.join(this.root, "l"), { recursive: true, mode: 0o700 });
    const lower = dirs.map((dir) => {
      const hex = path.basename(dir);
      if (path.dirname(dir) !== this.root || !/^[0-9a-f]{64}$/.test(hex)) {
        if (!path.isAbsolute(dir)) throw new MydockerError("layer_missing", `${dir} is neither a layer of this store nor an absolute path`);
        return dir;
      }
      const name = this.linkName(hex);
      const link = path.join(this.root, name);
      try {
        fs.symlinkSync(path.join("..", hex), link);
      } catch (e) {
        if (!isErrno(e, "EEXIST")) throw e;
        if (fs.readlinkSync(link) !== path.join("..", hex)) throw new MydockerError("layer_link", `${link} names another layer (two layers share the prefix ${hex.slice(0, 16)})`);
      }
      return name;
    });
    return { cwd: this.root, lower };
  }

  remove(diffId: Digest): void {
    fs.rmSync(path.join(this.root, this.linkName(digestHex(diffId))), { force: true });
    fs.rmSync(this.splitFile(diffId), { force: true });
    fs.rmSync(this.dir(diffId), { recursive: true, force: true });
  }
}

async function* reportProgress(source: AsyncIterable<Buffer>, progress: StageProgress): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    progress(total);
    yield chunk;
  }
}
