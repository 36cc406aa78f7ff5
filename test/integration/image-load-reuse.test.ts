// load reads only what it needs: layers the store has are not extracted again, and of a
// multi-platform OCI archive only the chosen platform's layers are (--platform).
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { MediaType } from "../../src/spec/image.js";
import type { ProgressEvent } from "../../src/image/index.js";
import { fileHeader, writeTar, type TarEntry } from "../../src/image/tar/writer.js";
import { MydockerError } from "../../src/util/errors.js";
import { isRoot, tempStore } from "./image-helpers.js";

const skip = isRoot ? false : "needs root (extraction sets owners)";

async function tar(entries: TarEntry[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of writeTar(entries)) parts.push(c);
  return Buffer.concat(parts);
}

const digest = (b: Buffer): string => `sha256:${crypto.createHash("sha256").update(b).digest("hex")}`;

/** An OCI archive whose index holds one image per architecture, each with its own layer. */
async function multiPlatformArchive(file: string, archs: string[]): Promise<Record<string, { layer: string; config: string }>> {
  const blobs: TarEntry[] = [];
  const add = (b: Buffer): string => {
    const d = digest(b);
    blobs.push({ header: fileHeader(`blobs/sha256/${d.slice(7)}`, b.length), body: b });
    return d;
  };
  const made: Record<string, { layer: string; config: string }> = {};
  const manifests = [];
  for (const arch of archs) {
    const content = Buffer.from(`built for ${arch}\n`);
    const layer = await tar([{ header: fileHeader("arch", content.length), body: content }]);
    const layerDigest = add(layer);
    const config = Buffer.from(JSON.stringify({ architecture: arch, os: "linux", rootfs: { type: "layers", diff_ids: [layerDigest] }, config: { Cmd: ["sh"] } }));
    const configDigest = add(config);
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: { mediaType: MediaType.ociConfig, digest: configDigest, size: config.length }, layers: [{ mediaType: MediaType.ociLayer, digest: layerDigest, size: layer.length }] }));
    manifests.push({ mediaType: MediaType.ociManifest, digest: add(manifest), size: manifest.length, platform: { os: "linux", architecture: arch } });
    made[arch] = { layer: layerDigest, config: configDigest };
  }
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }));
  const indexDigest = add(index);
  const top = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MediaType.ociIndex, digest: indexDigest, size: index.length, annotations: { "io.containerd.image.name": "docker.io/library/multi:1" } }] }));
  const layout = Buffer.from(JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  fs.writeFileSync(file, await tar([{ header: fileHeader("oci-layout", layout.length), body: layout }, { header: fileHeader("index.json", top.length), body: top }, ...blobs]));
  return made;
}

test("a multi-platform archive loads only the chosen platform; loading it again extracts nothing", { skip }, async () => {
  const t = tempStore();
  try {
    const file = path.join(t.base, "multi.tar");
    const made = await multiPlatformArchive(file, ["amd64", "arm64", "s390x"]);
    const first: ProgressEvent[] = [];
    const [arm] = await t.store.load(fs.createReadStream(file), (e) => first.push(e), { platform: "linux/arm64" });
    assert.equal(arm!.id, made.arm64!.config);
    assert.equal(arm!.config.architecture, "arm64");
    assert.equal(fs.readFileSync(path.join(t.store.layerDirs(arm!)[0]!, "arch"), "utf8"), "built for arm64\n");
    assert.equal(first.filter((e) => e.kind === "layer" && e.action === "extracting" && e.current === undefined).length, 0);
    // The other platforms' layers were never extracted.
    assert.ok(!t.store.layers.has(made.amd64!.layer as never));
    assert.ok(!t.store.layers.has(made.s390x!.layer as never));
    const extracted = new Set(first.filter((e) => e.kind === "layer" && e.action === "extracting").map((e) => (e as { id: string }).id));
    assert.deepEqual([...extracted], [made.arm64!.layer.slice(7, 19)]);

    const again: ProgressEvent[] = [];
    const [same] = await t.store.load(fs.createReadStream(file), (e) => again.push(e), { platform: "linux/arm64" });
    assert.equal(same!.id, arm!.id);
    assert.ok(again.some((e) => e.kind === "layer" && e.action === "exists"));
    assert.ok(!again.some((e) => e.kind === "layer" && e.action === "extracting"), "nothing extracted the second time");

    await assert.rejects(t.store.load(fs.createReadStream(file), undefined, { platform: "linux/riscv64" }), (e: unknown) => e instanceof MydockerError && e.code === "no_matching_platform" && /linux\/riscv64.*linux\/amd64, linux\/arm64, linux\/s390x/.test(e.message));
    await assert.rejects(t.store.save(["multi:1"], fs.createWriteStream("/dev/null"), "docker-archive", { platform: "linux/amd64" }), /does not match the specified platform: wanted linux\/amd64, actual: linux\/arm64/);
  } finally {
    t.cleanup();
  }
});
