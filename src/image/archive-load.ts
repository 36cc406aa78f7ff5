// `load`: docker-archive (manifest.json) and OCI image layout archives (index.json).
// The manifest and every config are read and checked first (planArchive); only then are
// the layers they name extracted, each checked against its digest; images land in the
// store only after all of them passed.
import fs from "node:fs";
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
import { MaxJsonMember, resolveMember, type ArchiveMembers } from "./archive-read.js";
import { checkConfigLimits } from "./config.js";
import { digestHex, isDigest, sha256 } from "./digest.js";
import type { LayerStore, StagedLayer } from "./layer-store.js";
import { shortId, type Progress } from "./progress.js";
import { normalizeReference } from "./reference.js";
import { choosePlatform, type PlatformSpec } from "./platform.js";

/** An image ready to be stored: its config bytes, id, staged layers (bottom first) and names. */
interface LoadedImage {
  configText: string;
  id: Digest;
  layers: (StagedLayer | Digest)[];
  names: string[];
}

/** An image as its manifest describes it, checked, before any layer is extracted. */
interface ImagePlan {
  what: string;
  configText: string;
  id: Digest;
  config: ImageConfig;
  /** Per layer, bottom first: the member holding it (none: the store must have it) and the digest its bytes must have. */
  layers: { member?: string; blobDigest?: Digest }[];
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

/** A metadata member's bytes; undefined when the archive does not have it. */
function metadata(members: ArchiveMembers, name: string, what: string): Buffer | undefined {
  const size = members.oversized.get(name);
  if (size !== undefined) throw bad(`${what} is ${size} bytes: more than the ${MaxJsonMember} (4 MiB) an archive's metadata may have`);
  return members.files.get(name);
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
function matchLayers(
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

function planDockerArchive(members: ArchiveMembers): ImagePlan[] {
  const entries = parseJson<DockerSaveManifestEntry[]>(metadata(members, "manifest.json", "manifest.json")!, "manifest.json");
  if (!Array.isArray(entries)) throw bad("manifest.json is not a list of images");
  return entries.map((entry) => {
    if (typeof entry?.Config !== "string") throw bad("manifest.json has an image without a config");
    const configName = resolveMember(members, entry.Config);
    const configBytes = metadata(members, configName, `config ${entry.Config}`);
    if (configBytes === undefined) throw bad(`manifest.json names config ${entry.Config}, which is not in the archive`);
    const id = sha256(configBytes);
    const hexName = /^([0-9a-f]{64})\.json$/.exec(configName.split("/").pop()!)?.[1];
    if (hexName !== undefined && `sha256:${hexName}` !== id) {
      throw new MydockerError("digest_mismatch", `config ${entry.Config} does not match its digest (it hashes to ${id})`);
    }
    checkConfigLimits(configBytes, `config ${entry.Config}`);
    const config = parseJson<ImageConfig>(configBytes, entry.Config);
    checkConfig(config, entry.Config);
    const layers = (Array.isArray(entry.Layers) ? entry.Layers : []).map((l) => {
      const name = resolveMember(members, String(l));
      if (members.blobs.has(name)) return { member: name };
      if (members.files.has(name) || members.oversized.has(name)) throw bad(`layer ${l} is not a tar stream`);
      throw bad(`manifest.json names layer ${l}, which is not in the archive`);
    });
    return {
      what: entry.Config,
      configText: configBytes.toString("utf8"),
      id,
      config,
      layers,
      names: (entry.RepoTags ?? []).map(normalizeReference),
    };
  });
}

function blob(members: ArchiveMembers, d: Descriptor): Buffer {
  if (!isDigest(d?.digest)) throw bad(`a descriptor has an invalid digest "${String(d?.digest)}"`);
  const bytes = metadata(members, `blobs/sha256/${digestHex(d.digest)}`, `blob ${d.digest}`);
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

function planOciManifest(members: ArchiveMembers, d: Descriptor): ImagePlan {
  const manifest = parseJson<ImageManifest>(blob(members, d), `manifest ${d.digest}`);
  if (!manifest.config || !Array.isArray(manifest.layers)) throw bad(`manifest ${d.digest} has no config or layers`);
  if (!configMediaTypes.has(manifest.config.mediaType)) {
    throw new MydockerError("unsupported_media_type", `unsupported config media type "${manifest.config.mediaType}"`);
  }
  const what = `config ${manifest.config.digest}`;
  const configBytes = blob(members, manifest.config);
  checkConfigLimits(configBytes, what);
  const config = parseJson<ImageConfig>(configBytes, what);
  checkConfig(config, what);
  const layers = manifest.layers.map((l) => {
    if (!layerMediaTypes.has(l.mediaType)) {
      throw new MydockerError("unsupported_media_type", `unsupported layer media type "${l.mediaType}"`);
    }
    if (!isDigest(l.digest)) throw bad(`manifest ${d.digest} has an invalid layer digest "${String(l.digest)}"`);
    const member = `blobs/sha256/${digestHex(l.digest)}`;
    return members.blobs.has(member) ? { member, blobDigest: l.digest } : {};
  });
  const name = imageName(d);
  return {
    what: `manifest ${d.digest}`,
    configText: configBytes.toString("utf8"),
    id: sha256(configBytes),
    config,
    layers,
    names: name === undefined ? [] : [name],
  };
}

function planOciDescriptor(members: ArchiveMembers, d: Descriptor, platform: PlatformSpec | undefined, named?: Descriptor): ImagePlan {
  const carrier = named ?? d;
  if (d.mediaType === MediaType.ociIndex || d.mediaType === MediaType.dockerManifestList) {
    const index = parseJson<ImageIndex>(blob(members, d), `index ${d.digest}`);
    if (!Array.isArray(index.manifests)) throw bad(`index ${d.digest} has no manifests`);
    return planOciDescriptor(members, choosePlatform(index.manifests, d.digest, platform), platform, carrier);
  }
  if (d.mediaType === MediaType.ociManifest || d.mediaType === MediaType.dockerManifest) {
    const image = planOciManifest(members, d);
    const name = imageName(carrier);
    return { ...image, names: name === undefined ? image.names : [name] };
  }
  throw new MydockerError("unsupported_media_type", `unsupported manifest media type "${d.mediaType}"`);
}

function planOciLayout(members: ArchiveMembers, platform: PlatformSpec | undefined): ImagePlan[] {
  const index = parseJson<ImageIndex>(metadata(members, "index.json", "index.json")!, "index.json");
  if (!Array.isArray(index.manifests)) throw bad("index.json has no manifests");
  return index.manifests.map((d) => planOciDescriptor(members, d, platform));
}

/** The images an archive holds, from its manifest, checked; nothing is extracted yet. */
function planArchive(members: ArchiveMembers, platform: PlatformSpec | undefined): ImagePlan[] {
  if (members.files.has("manifest.json") || members.oversized.has("manifest.json")) return planDockerArchive(members);
  if (members.files.has("index.json") || members.oversized.has("index.json")) return planOciLayout(members, platform);
  throw bad("not an image archive: it has neither manifest.json (docker-archive) nor index.json (OCI layout); use import for a root file system tarball");
}

/**
 * The images an archive holds, verified, with their layers staged under work: the
 * manifest and configs are checked first, then only the layers they name and the store
 * does not have yet are extracted (of a multi-platform index, only the chosen platform's).
 */
export async function loadArchive(
  members: ArchiveMembers,
  layers: LayerStore,
  work: string,
  hasLayer: (d: Digest) => boolean,
  progress?: Progress,
  platform?: PlatformSpec,
): Promise<LoadedImage[]> {
  const plans = planArchive(members, platform);
  const staged = new Map<string, StagedLayer>();
  for (const plan of plans) {
    for (const [i, { member }] of plan.layers.entries()) {
      if (member === undefined || staged.has(member)) continue;
      const id = shortId(member.split("/").pop()!.replace(/\.tar$/, ""));
      // The config names the layer by its content's digest: one the store has is not read again.
      const diffId = plan.config.rootfs.diff_ids[i];
      if (plan.layers.length === plan.config.rootfs.diff_ids.length && diffId !== undefined && hasLayer(diffId)) {
        progress?.({ kind: "layer", id, action: "exists" });
        continue;
      }
      const spooled = members.blobs.get(member)!;
      const total = spooled.size;
      const report = progress && ((current: number) => progress({ kind: "layer", id, action: "extracting", current, total }));
      const bytes = fs.createReadStream(spooled.file, { start: spooled.start, end: spooled.start + spooled.size - 1, highWaterMark: 1 << 20 });
      staged.set(member, await layers.stage(bytes, work, report));
      if (spooled.copy) fs.rmSync(spooled.file, { force: true });
      progress?.({ kind: "layer", id, action: "done", current: total, total });
    }
  }
  return plans.map((plan) => {
    const layerList = plan.layers.map(({ member, blobDigest }) => {
      const layer = member === undefined ? undefined : staged.get(member);
      if (layer !== undefined && blobDigest !== undefined && layer.blobDigest !== blobDigest) {
        throw new MydockerError("digest_mismatch", `layer blob ${blobDigest} does not match its digest (it hashes to ${layer.blobDigest})`);
      }
      return layer;
    });
    return {
      configText: plan.configText,
      id: plan.id,
      layers: matchLayers(plan.config, layerList, hasLayer, plan.what),
      names: plan.names,
    };
  });
}
