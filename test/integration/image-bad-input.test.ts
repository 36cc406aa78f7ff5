// Bad input is refused with a clear error and leaves the store as it was.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import zlib from "node:zlib";
import { MediaType } from "../../src/spec/image.js";
import { sha256 } from "../../src/image/digest.js";
import { dirHeader, fileHeader, writeTar, type TarEntry } from "../../src/image/tar/writer.js";
import type { TarHeader } from "../../src/image/tar/header.js";
import { MydockerError } from "../../src/util/errors.js";
import { isRoot, tempStore, type TempStore } from "./image-helpers.js";

const skip = isRoot ? false : "needs root (extraction sets owners)";

async function tar(entries: TarEntry[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of writeTar(entries)) parts.push(c);
  return Buffer.concat(parts);
}

function file(name: string, body: string | Buffer): TarEntry {
  const bytes = Buffer.from(body);
  return { header: fileHeader(name, bytes.length), body: bytes };
}

function link(name: string, type: "symlink" | "link", target: string): TarEntry {
  const header: TarHeader = { ...fileHeader(name, 0), type, linkname: target };
  return { header };
}

async function* once(buf: Buffer): AsyncGenerator<Buffer> {
  yield buf;
}

/** The store's visible state and what is on disk under it. */
function state(t: TempStore): string {
  const layers = fs.readdirSync(path.join(t.root, "image", "layers"));
  const tmp = fs.existsSync(path.join(t.root, "image", "tmp")) ? fs.readdirSync(path.join(t.root, "image", "tmp")) : [];
  return JSON.stringify({ images: t.store.list().map((i) => [i.id, i.names]), layers, tmp });
}

async function refused(t: TempStore, run: () => Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const before = state(t);
  await assert.rejects(run, (e: unknown) => {
    assert.ok(e instanceof MydockerError, `expected a MydockerError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
  assert.equal(state(t), before);
  assert.equal(fs.existsSync("/tmp/mydocker-escaped"), false);
}

async function dockerArchive(layer: Buffer, diffId: string, mutateManifest?: (m: object[]) => void): Promise<Buffer> {
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [diffId] } }));
  const configName = `${sha256(config).slice(7)}.json`;
  const manifest = [{ Config: configName, RepoTags: ["bad:1"], Layers: ["layer.tar"] }];
  mutateManifest?.(manifest);
  return tar([file(configName, config), file("layer.tar", layer), file("manifest.json", JSON.stringify(manifest))]);
}

test("rootfs tarballs that escape the root are refused", { skip }, async () => {
  const t = tempStore();
  try {
    const cases: [TarEntry[], RegExp][] = [
      [[file("../mydocker-escaped", "x")], /leaves the root/],
      [[file("/tmp/mydocker-escaped", "x")], /absolute paths/],
      [[link("l", "symlink", "/tmp"), file("l/mydocker-escaped", "x")], /symbolic link "l"/],
      [[{ header: dirHeader("d/") }, link("d/up", "symlink", "../../../../../../tmp"), file("d/up/mydocker-escaped", "x")], /symbolic link "d\/up"/],
      [[link("h", "link", "../../etc/passwd")], /leaves the root/],
      [[link("h", "link", "nothere")], /not in the layer/],
    ];
    for (const [entries, message] of cases) {
      const bytes = await tar(entries);
      await refused(t, () => t.store.importRootfsTar(once(bytes), "x"), "unsafe_archive", message);
    }
  } finally {
    t.cleanup();
  }
});

test("truncated and corrupt archives are refused", { skip }, async () => {
  const t = tempStore();
  try {
    const layer = await tar([file("big", Buffer.alloc(100_000, 7))]);
    const archive = await dockerArchive(layer, sha256(layer));
    await refused(t, () => t.store.load(once(archive.subarray(0, 60_000))), "corrupt_archive", /truncated/);
    const gz = zlib.gzipSync(archive);
    await refused(t, () => t.store.load(once(gz.subarray(0, gz.length - 100))), "corrupt_archive", /gzip|truncated/);
    const flipped = Buffer.from(gz);
    flipped[Math.floor(gz.length / 2)]! ^= 0xff;
    await refused(t, () => t.store.load(once(flipped)), "corrupt_archive", /gzip|tar/);
    await refused(t, () => t.store.importRootfsTar(once(Buffer.from("this is not a tar archive at all".repeat(40))), "x"), "corrupt_archive", /checksum|bad/);
    // The good archive loads: the failures above were about the damage only.
    const [image] = await t.store.load(once(archive));
    assert.deepEqual(image?.names, ["docker.io/library/bad:1"]);
  } finally {
    t.cleanup();
  }
});

test("a layer whose digest does not match, a missing layer, an unknown media type, a bad name", { skip }, async () => {
  const t = tempStore();
  try {
    const layer = await tar([file("f", "content")]);
    const other = sha256("something else");
    await refused(t, async () => t.store.load(once(await dockerArchive(layer, other))), "digest_mismatch", /config says/);
    await refused(
      t,
      async () => t.store.load(once(await dockerArchive(layer, sha256(layer), (m) => ((m[0] as { Layers: string[] }).Layers = ["nothere.tar"])))),
      "invalid_archive",
      /not in the archive/,
    );
    await refused(
      t,
      async () => t.store.load(once(await dockerArchive(layer, sha256(layer), (m) => ((m[0] as { RepoTags: string[] }).RepoTags = ["Bad Name"])))),
      "invalid_reference",
      /invalid reference format/,
    );
    await refused(t, async () => t.store.load(once(layer)), "invalid_archive", /not an image archive/);
    await refused(t, async () => t.store.importRootfsTar(once(layer), "UPPER:case"), "invalid_reference", /invalid reference format/);

    // OCI layout whose layer has a media type we do not know.
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [sha256(layer)] } }));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: sha256(config), size: config.length },
      layers: [{ mediaType: "application/x-unknown-layer", digest: sha256(layer), size: layer.length }],
    }));
    const index = { schemaVersion: 2, manifests: [{ mediaType: MediaType.ociManifest, digest: sha256(manifest), size: manifest.length }] };
    const oci = await tar([
      file("oci-layout", JSON.stringify({ imageLayoutVersion: "1.0.0" })),
      file(`blobs/sha256/${sha256(config).slice(7)}`, config),
      file(`blobs/sha256/${sha256(manifest).slice(7)}`, manifest),
      file(`blobs/sha256/${sha256(layer).slice(7)}`, layer),
      file("index.json", JSON.stringify(index)),
    ]);
    await refused(t, () => t.store.load(once(oci)), "unsupported_media_type", /application\/x-unknown-layer/);
  } finally {
    t.cleanup();
  }
});
