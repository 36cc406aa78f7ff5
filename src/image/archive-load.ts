// `load`: docker-archive (manifest.json) and OCI image layout archives (index.json).
// Every config, manifest and layer is checked against its digest before anything is
// stored; images land only after all of them passed.
import { MydockerError } from "../util/errors.js";
import {
  AnnotationImageName,
  AnnotationRefName,
  MediaType,
  type Descriptor,
  type Digest,
  type DockerSaveManifestEntry,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
} from "../spec/image.js";
import { resolveMember, type ArchiveMembers } from "./archive-read.js";
import { digestHex, isDigest, sha256 } from "./digest.js";
import type { StagedLayer } from "./layer-store.js";
import { normalizeReference } from "./reference.js";
import { choosePlatform } from "./platform.js";

/** An image ready to be stored: its config bytes, id, staged layers (bottom first) and names. */
export interface LoadedImage {
  configText: string;
  id: Digest;
  layers: (StagedLayer | Digest)[];
  names: string[];
}

const layerMediaTypes = new Set<string>([
  MediaType.ociLayer,
  MediaType.ociLayerGzip,
  MediaType.ociLayerZstd,
  MediaType.ociLayerNondistGzip,
  MediaType.dockerLayerGzip,
  MediaType.dockerLayerForeignGzip,
  "application/vnd.oci.image.layer.nondistributable.v1.tar",
]);
const configMediaTypes = new Set<string>([MediaType.ociConfig, MediaType.dockerConfig]);

function bad(message: string): MydockerError {
  return new MydockerError("invalid_archive", message);
}

function parseJson<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString("utf8")) as T;
  } catch (e) {
    throw bad(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

export function checkConfig(config: ImageConfig, what: string): void {
  if (typeof config !== "object" || config === null || config.rootfs?.type !== "layers" || !Array.isArray(config.rootfs.diff_ids)) {
    throw bad(`${what} is not an image config (no rootfs.diff_ids)`);
  }
  for (const d of config.rootfs.diff_ids) if (!isDigest(d)) throw bad(`${what} has an invalid layer digest "${d}"`);
}

/** Pairs each diffID of the config with a staged layer (or the store's copy), checking digests. */
export function matchLayers(
  config: ImageConfig,
  staged: (StagedLayer | undefined)[],
  hasLayer: (diffId: Digest) => boolean,
  what: string,
): (StagedLayer | Digest)[] {
  if (staged.length !== config.rootfs.diff_ids.length) {
    throw bad(`${what}: the manifest lists ${staged.length} layers but the config ${config.rootfs.diff_ids.length}`);
  }
  return config.rootfs.diff_ids.map((diffId, i) => {
    const layer = staged[i];
    if (layer === undefined) {
      if (hasLayer(diffId)) return diffId;
      throw bad(`${what}: layer ${diffId} is missing from the archive`);
    }
    if (layer.diffId !== diffId) {
      throw new MydockerError("digest_mismatch", `${what}: layer content has digest ${layer.diffId}, but the config says ${diffId}`);
    }
    return layer;
  });
}

function loadDockerArchive(members: ArchiveMembers, hasLayer: (d: Digest) => boolean): LoadedImage[] {
  const entries = parseJson<DockerSaveManifestEntry[]>(members.files.get("manifest.json")!, "manifest.json");
  if (!Array.isArray(entries)) throw bad("manifest.json is not a list of images");
  return entries.map((entry) => {
    const configName = resolveMember(members, entry.Config);
    const configBytes = members.files.get(configName);
    if (configBytes === undefined) throw bad(`manifest.json names config ${entry.Config}, which is not in the archive`);
    const id = sha256(configBytes);
    const hexName = /^([0-9a-f]{64})\.json$/.exec(configName.split("/").pop()!)?.[1];
    if (hexName !== undefined && `sha256:${hexName}` !== id) {
      throw new MydockerError("digest_mismatch", `config ${entry.Config} does not match its digest (it hashes to ${id})`);
    }
    const config = parseJson<ImageConfig>(configBytes, entry.Config);
    checkConfig(config, entry.Config);
    const staged = (entry.Layers ?? []).map((l) => {
      const name = resolveMember(members, l);
      const layer = members.layers.get(name);
      if (layer === undefined && !members.files.has(name)) throw bad(`manifest.json names layer ${l}, which is not in the archive`);
      if (layer === undefined) throw bad(`layer ${l} is not a tar stream`);
      return layer;
    });
    return {
      configText: configBytes.toString("utf8"),
      id,
      layers: matchLayers(config, staged, hasLayer, entry.Config),
      names: (entry.RepoTags ?? []).map(normalizeReference),
    };
  });
}

function blob(members: ArchiveMembers, d: Descriptor): Buffer {
  const bytes = members.files.get(`blobs/sha256/${digestHex(d.digest)}`);
  if (bytes === undefined) throw bad(`blob ${d.digest} is missing from the archive`);
  if (sha256(bytes) !== d.digest) throw new MydockerError("digest_mismatch", `blob ${d.digest} does not match its digest`);
  return bytes;
}

function imageName(d: Descriptor): string | undefined {
  const full = d.annotations?.[AnnotationImageName];
  if (full) return normalizeReference(full);
  const ref = d.annotations?.[AnnotationRefName];
  // A bare tag ("latest") names no repository: such an image loads without a name.
  if (ref && (ref.includes("/") || ref.includes(":"))) return normalizeReference(ref);
  return undefined;
}

function loadOciManifest(members: ArchiveMembers, d: Descriptor, hasLayer: (d: Digest) => boolean): LoadedImage {
  const manifest = parseJson<ImageManifest>(blob(members, d), `manifest ${d.digest}`);
  if (!manifest.config || !Array.isArray(manifest.layers)) throw bad(`manifest ${d.digest} has no config or layers`);
  if (!configMediaTypes.has(manifest.config.mediaType)) {
    throw new MydockerError("unsupported_media_type", `unsupported config media type "${manifest.config.mediaType}"`);
  }
  const configBytes = blob(members, manifest.config);
  const config = parseJson<ImageConfig>(configBytes, `config ${manifest.config.digest}`);
  checkConfig(config, `config ${manifest.config.digest}`);
  const staged = manifest.layers.map((l) => {
    if (!layerMediaTypes.has(l.mediaType)) {
      throw new MydockerError("unsupported_media_type", `unsupported layer media type "${l.mediaType}"`);
    }
    const layer = members.layers.get(`blobs/sha256/${digestHex(l.digest)}`);
    if (layer !== undefined && layer.blobDigest !== l.digest) {
      throw new MydockerError("digest_mismatch", `layer blob ${l.digest} does not match its digest (it hashes to ${layer.blobDigest})`);
    }
    return layer;
  });
  const name = imageName(d);
  return {
    configText: configBytes.toString("utf8"),
    id: sha256(configBytes),
    layers: matchLayers(config, staged, hasLayer, `manifest ${d.digest}`),
    names: name === undefined ? [] : [name],
  };
}

function loadOciDescriptor(members: ArchiveMembers, d: Descriptor, hasLayer: (d: Digest) => boolean, named?: Descriptor): LoadedImage {
  const carrier = named ?? d;
  if (d.mediaType === MediaType.ociIndex || d.mediaType === MediaType.dockerManifestList) {
    const index = parseJson<ImageIndex>(blob(members, d), `index ${d.digest}`);
    return loadOciDescriptor(members, choosePlatform(index.manifests, d.digest), hasLayer, carrier);
  }
  if (d.mediaType === MediaType.ociManifest || d.mediaType === MediaType.dockerManifest) {
    const image = loadOciManifest(members, d, hasLayer);
    const name = imageName(carrier);
    return { ...image, names: name === undefined ? image.names : [name] };
  }
  throw new MydockerError("unsupported_media_type", `unsupported manifest media type "${d.mediaType}"`);
}

function loadOciLayout(members: ArchiveMembers, hasLayer: (d: Digest) => boolean): LoadedImage[] {
  const index = parseJson<ImageIndex>(members.files.get("index.json")!, "index.json");
  if (!Array.isArray(index.manifests)) throw bad("index.json has no manifests");
  return index.manifests.map((d) => loadOciDescriptor(members, d, hasLayer));
}

/** The images an archive holds, verified, with their layers still staged. */
export function interpretArchive(members: ArchiveMembers, hasLayer: (d: Digest) => boolean): LoadedImage[] {
  if (members.files.has("manifest.json")) return loadDockerArchive(members, hasLayer);
  if (members.files.has("index.json")) return loadOciLayout(members, hasLayer);
  throw bad("not an image archive: it has neither manifest.json (docker-archive) nor index.json (OCI layout); use import for a root file system tarball");
}
