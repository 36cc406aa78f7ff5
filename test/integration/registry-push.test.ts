// push as a stream against docker-registry: every layer is a valid blob of its diffID
// (gzip made in parallel blocks, or zstd), a second repository of the same registry gets
// the layers by cross-repository mount (nothing sent again), and pull takes zstd back.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { after, before, test } from "node:test";
import type { ImageRecord, ProgressEvent } from "../../src/image/index.js";
import { fileHeader, writeTar } from "../../src/image/tar/writer.js";
import { startRegistry, type Registry } from "../helpers/registry.js";
import { have, isRoot, tempDir, tempStore, type TempStore } from "./image-helpers.js";

const skip = !isRoot ? "needs root (layers keep owners)" : !have("docker-registry") ? "needs docker-registry (apt-get install docker-registry)" : !have("zstd") ? "needs zstd (apt-get install zstd)" : false;

let registry: Registry;
let work: string;

before(async () => {
  if (skip) return;
  work = tempDir();
  registry = await startRegistry(path.join(work, "registry"));
});

after(() => {
  if (skip) return;
  registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

interface Manifest {
  layers: { mediaType: string; digest: string; size: number }[];
}

async function manifestOf(repo: string): Promise<Manifest> {
  const res = await fetch(`http://${registry.host}/v2/${repo}/manifests/1`, { headers: { Accept: "application/vnd.oci.image.manifest.v1+json" } });
  assert.equal(res.status, 200);
  return (await res.json()) as Manifest;
}

async function blob(repo: string, digest: string): Promise<Buffer> {
  const res = await fetch(`http://${registry.host}/v2/${repo}/blobs/${digest}`);
  assert.equal(res.status, 200, `${repo} has ${digest}`);
  return Buffer.from(await res.arrayBuffer());
}

const sha = (b: Buffer): string => `sha256:${crypto.createHash("sha256").update(b).digest("hex")}`;

/** An image of 4 layers, one of them several compression blocks of random and repetitive data. */
async function fourLayers(t: TempStore, ref: string): Promise<ImageRecord> {
  const first = Buffer.from("first\n");
  let image = await t.store.importRootfsTar(writeTar([{ header: fileHeader("first", first.length), body: first }]));
  for (let i = 1; i < 4; i++) {
    const dir = path.join(t.base, `upper${i}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, `file${i}`), i === 2 ? Buffer.concat([crypto.randomBytes(2_500_000), Buffer.alloc(1_500_000, i)]) : `layer ${i}\n`);
    image = await t.store.commitLayer(dir, image, {}, i === 3 ? ref : undefined);
  }
  return image;
}

test("push streams gzip blobs that are their layers; another repository gets them mounted", { skip }, async () => {
  const a = tempStore();
  try {
    const image = await fourLayers(a, `${registry.host}/push/one:1`);
    const events: ProgressEvent[] = [];
    await a.store.push(`${registry.host}/push/one:1`, {}, (e) => events.push(e));
    const pushed = new Set(events.filter((e) => e.kind === "layer" && e.action === "pushed").map((e) => (e as { id: string }).id));
    assert.equal(pushed.size, 4);

    const manifest = await manifestOf("push/one");
    assert.deepEqual(manifest.layers.map((l) => l.mediaType), Array(4).fill("application/vnd.oci.image.layer.v1.tar+gzip"));
    for (const [i, l] of manifest.layers.entries()) {
      const bytes = await blob("push/one", l.digest);
      assert.equal(sha(bytes), l.digest);
      assert.equal(bytes.length, l.size);
      assert.equal(sha(zlib.gunzipSync(bytes)), image.layers[i], `layer ${i} gunzips to its diffID`);
    }

    a.store.tag(`${registry.host}/push/one:1`, `${registry.host}/push/two:1`);
    const second: ProgressEvent[] = [];
    await a.store.push(`${registry.host}/push/two:1`, {}, (e) => second.push(e));
    assert.equal(second.filter((e) => e.kind === "layer" && e.action === "mounted").length, 4, JSON.stringify(second));
    assert.ok(!second.some((e) => e.kind === "layer" && e.action === "pushing"), "nothing sent again");
    assert.deepEqual((await manifestOf("push/two")).layers, manifest.layers);
  } finally {
    a.cleanup();
  }
});

test("push --compression-format zstd makes zstd blobs, and pull takes them back", { skip }, async () => {
  const a = tempStore();
  const b = tempStore();
  try {
    const image = await fourLayers(a, `${registry.host}/push/zstd:1`);
    await a.store.push(`${registry.host}/push/zstd:1`, { compression: "zstd" });
    const manifest = await manifestOf("push/zstd");
    assert.deepEqual(manifest.layers.map((l) => l.mediaType), Array(4).fill("application/vnd.oci.image.layer.v1.tar+zstd"));
    assert.equal((await blob("push/zstd", manifest.layers[2]!.digest)).readUInt32LE(0), 0xfd2fb528, "a zstd frame");
    const pulled = await b.store.pull(`${registry.host}/push/zstd:1`);
    assert.equal(pulled.id, image.id);
    assert.equal(fs.readFileSync(path.join(b.store.layerDirs(pulled)[0]!, "file3"), "utf8"), "layer 3\n");
  } finally {
    a.cleanup();
    b.cleanup();
  }
});
