// zstd-compressed layers (compressed here by the zstd tool) load like gzip ones.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { MediaType } from "../../src/spec/image.js";
import { sha256 } from "../../src/image/digest.js";
import { fileHeader, writeTar, type TarEntry } from "../../src/image/tar/writer.js";
import { MydockerError } from "../../src/util/errors.js";
import { have, isRoot, tempDir, tempStore } from "./image-helpers.js";

const skip = !isRoot ? "needs root (extraction sets owners)" : !have("zstd") ? "needs the zstd tool to make a zstd layer" : false;

async function tar(entries: TarEntry[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of writeTar(entries)) parts.push(c);
  return Buffer.concat(parts);
}

function file(name: string, body: Buffer): TarEntry {
  return { header: fileHeader(name, body.length), body };
}

async function* once(buf: Buffer): AsyncGenerator<Buffer> {
  yield buf;
}

async function ociArchive(layer: Buffer, compressed: Buffer): Promise<Buffer> {
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [sha256(layer)] } }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: sha256(config), size: config.length },
    layers: [{ mediaType: MediaType.ociLayerZstd, digest: sha256(compressed), size: compressed.length }],
  }));
  const index = { schemaVersion: 2, manifests: [{ mediaType: MediaType.ociManifest, digest: sha256(manifest), size: manifest.length, annotations: { "org.opencontainers.image.ref.name": "localhost/zstd:1" } }] };
  return tar([
    file("oci-layout", Buffer.from(JSON.stringify({ imageLayoutVersion: "1.0.0" }))),
    file(`blobs/sha256/${sha256(config).slice(7)}`, config),
    file(`blobs/sha256/${sha256(manifest).slice(7)}`, manifest),
    file(`blobs/sha256/${sha256(compressed).slice(7)}`, compressed),
    file("index.json", Buffer.from(JSON.stringify(index))),
  ]);
}

test("an OCI archive with a zstd layer loads; a cut zstd layer is refused", { skip }, async () => {
  const work = tempDir();
  const t = tempStore();
  try {
    const content = fs.readFileSync("/bin/busybox");
    const layer = await tar([file("bin/busybox", content)]);
    fs.writeFileSync(path.join(work, "layer.tar"), layer);
    execFileSync("zstd", ["-q", path.join(work, "layer.tar"), "-o", path.join(work, "layer.tar.zst")]);
    const compressed = fs.readFileSync(path.join(work, "layer.tar.zst"));

    const cut = compressed.subarray(0, compressed.length - 50);
    await assert.rejects(t.store.load(once(await ociArchive(layer, cut))), (e: unknown) => e instanceof MydockerError && e.code === "corrupt_archive");
    assert.deepEqual(t.store.list(), []);

    const [image] = await t.store.load(once(await ociArchive(layer, compressed)));
    assert.deepEqual(image?.names, ["localhost/zstd:1"]);
    assert.deepEqual(fs.readFileSync(path.join(t.store.layerDirs(image!)[0]!, "bin/busybox")), content);
  } finally {
    t.cleanup();
    fs.rmSync(work, { recursive: true, force: true });
  }
});
