// `save`: docker-archive (manifest.json + repositories, as docker and podman write it)
// or an OCI image layout in a tar (oci-archive). Layers are written uncompressed, rebuilt
// byte for byte from the store, so their digests are the diffIDs of the config.
import { AnnotationImageName, AnnotationRefName, MediaType, type Descriptor, type Digest, type DockerRepositories, type DockerSaveManifestEntry, type ImageIndex, type ImageManifest } from "../spec/image.js";
import { digestHex, sha256 } from "./digest.js";
import { familiarName, parseReference, repositoryOf } from "./reference.js";
import type { ImageContent } from "./store-access.js";
import type { ImageRecord } from "./types.js";
import { dirHeader, fileHeader, writeTar, type TarEntry } from "./tar/writer.js";

export type ArchiveFormat = "docker-archive" | "oci-archive";

interface SaveItem {
  image: ImageRecord;
  names: string[];
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function file(name: string, body: Buffer): TarEntry {
  return { header: fileHeader(name, body.length), body };
}

function* layerEntries(store: ImageContent, items: SaveItem[], nameOf: (diffId: Digest) => string): Generator<TarEntry> {
  const seen = new Set<Digest>();
  for (const { image } of items) {
    for (const diffId of image.layers) {
      if (seen.has(diffId)) continue;
      seen.add(diffId);
      const size = store.catalog.layerSize(diffId)!;
      yield { header: fileHeader(nameOf(diffId), size), body: store.layers.tar(diffId) };
    }
  }
}

function* dockerArchive(store: ImageContent, items: SaveItem[]): Generator<TarEntry> {
  const manifest: DockerSaveManifestEntry[] = [];
  const repositories: DockerRepositories = {};
  const written = new Set<Digest>();
  for (const { image, names } of items) {
    const configName = `${digestHex(image.id)}.json`;
    if (!written.has(image.id)) {
      written.add(image.id);
      yield file(configName, Buffer.from(store.catalog.configText(image.id)));
    }
    const tags = names.map(familiarName);
    manifest.push({ Config: configName, RepoTags: tags.length > 0 ? tags : null, Layers: image.layers.map((d) => `${digestHex(d)}.tar`) });
    const top = image.layers[image.layers.length - 1];
    for (const name of names) {
      const ref = parseReference(name);
      if (ref.tag === undefined || top === undefined) continue;
      (repositories[familiarName(repositoryOf(ref))] ??= {})[ref.tag] = digestHex(top);
    }
  }
  yield* layerEntries(store, items, (d) => `${digestHex(d)}.tar`);
  yield file("manifest.json", json(manifest));
  yield file("repositories", json(repositories));
}

function* ociArchive(store: ImageContent, items: SaveItem[]): Generator<TarEntry> {
  yield file("oci-layout", json({ imageLayoutVersion: "1.0.0" }));
  yield { header: dirHeader("blobs/") };
  yield { header: dirHeader("blobs/sha256/") };
  const index: ImageIndex = { schemaVersion: 2, manifests: [] };
  const written = new Set<Digest>();
  const blob = function* (digest: Digest, body: Buffer): Generator<TarEntry> {
    if (written.has(digest)) return;
    written.add(digest);
    yield file(`blobs/sha256/${digestHex(digest)}`, body);
  };
  for (const { image, names } of items) {
    const config = Buffer.from(store.catalog.configText(image.id));
    yield* blob(image.id, config);
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: image.id, size: config.length },
      layers: image.layers.map((d) => ({ mediaType: MediaType.ociLayer, digest: d, size: store.catalog.layerSize(d)! })),
    };
    const manifestBytes = json(manifest);
    const digest = sha256(manifestBytes);
    yield* blob(digest, manifestBytes);
    const descriptor = (annotations?: Record<string, string>): Descriptor => ({
      mediaType: MediaType.ociManifest,
      digest,
      size: manifestBytes.length,
      ...(annotations ? { annotations } : {}),
    });
    if (names.length === 0) index.manifests.push(descriptor());
    for (const name of names) {
      index.manifests.push(descriptor({ [AnnotationImageName]: name, [AnnotationRefName]: familiarName(name) }));
    }
  }
  yield* layerEntries(store, items, (d) => `blobs/sha256/${digestHex(d)}`);
  yield file("index.json", json(index));
}

export function writeArchive(store: ImageContent, items: SaveItem[], format: ArchiveFormat): AsyncGenerator<Buffer> {
  return writeTar(format === "oci-archive" ? ociArchive(store, items) : dockerArchive(store, items));
}
