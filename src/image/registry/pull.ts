// `pull`: manifest (a list is resolved to one platform), config and layers, each checked
// against its digest, 3 layers at a time; layers the store already has are not fetched.
import { MydockerError } from "../../util/errors.js";
import { MediaType, type Descriptor, type Digest, type ImageConfig, type ImageIndex, type ImageManifest } from "../../spec/image.js";
import { checkConfig } from "../archive-load.js";
import { MaxConfigBytes, checkConfigLimits } from "../config.js";
import { sha256 } from "../digest.js";
import type { StagedLayer } from "../layer-store.js";
import { checkPlatform, choosePlatform, parsePlatform } from "../platform.js";
import { mapLimit } from "../../util/parallel.js";
import { shortId, type Progress } from "../progress.js";
import type { RegistryStore } from "../store-access.js";
import { formatReference, parseReference, repositoryOf, withDefaultTag, type ImageReference } from "../reference.js";
import type { ImageRecord } from "../types.js";
import { RegistryClient, interruptible, type RegistryOptions } from "./client.js";
import type { HttpResponse } from "./http.js";

const manifestAccept = [MediaType.ociIndex, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.dockerManifest].join(", ");
const layerTypes = new Set<string>([MediaType.ociLayer, MediaType.ociLayerGzip, MediaType.ociLayerZstd, MediaType.dockerLayerGzip, MediaType.ociLayerNondistGzip, MediaType.dockerLayerForeignGzip]);

function mismatch(what: string, expected: string, got: string): MydockerError {
  return new MydockerError("digest_mismatch", `${what}: expected digest ${expected}, got ${got}`);
}

/** containers/image's and docker's registry's limit on a manifest. */
const MaxManifestBytes = 4 << 20;

export async function fetchManifest(client: RegistryClient, ref: ImageReference, reference: string, scope: string): Promise<{ bytes: Buffer; digest: Digest; mediaType: string }> {
  const res = await RegistryClient.check(
    await client.request("GET", `/v2/${ref.path}/manifests/${reference}`, scope, { headers: { Accept: manifestAccept } }),
    `manifest for ${formatReference(ref)}`,
  );
  const bytes = await res.bytes(MaxManifestBytes, `manifest for ${formatReference(ref)}`);
  const digest = sha256(bytes);
  if (reference.startsWith("sha256:") && digest !== reference) throw mismatch(`manifest ${reference}`, reference, digest);
  const header = res.header("docker-content-digest");
  if (header && header !== digest) throw mismatch(`manifest of ${formatReference(ref)}`, header, digest);
  const mediaType = (JSON.parse(bytes.toString()) as { mediaType?: string }).mediaType ?? res.header("content-type") ?? "";
  return { bytes, digest, mediaType };
}

async function blob(client: RegistryClient, ref: ImageReference, d: Descriptor, scope: string): Promise<HttpResponse> {
  const res = await RegistryClient.check(await client.request("GET", `/v2/${ref.path}/blobs/${d.digest}`, scope), `blob ${d.digest}`);
  const length = res.header("content-length");
  if (length !== undefined && Number(length) !== d.size) {
    await res.discard().catch(() => {});
    throw new MydockerError("size_mismatch", `blob ${d.digest}: the registry sends ${length} bytes, its manifest says ${d.size}`);
  }
  return res;
}

/** A blob's body, refused as soon as it passes the size its descriptor gives (a registry could send without end). */
async function* sized(body: AsyncIterable<Buffer>, d: Descriptor): AsyncGenerator<Buffer> {
  let n = 0;
  for await (const chunk of body) {
    n += chunk.length;
    if (n > d.size) throw new MydockerError("size_mismatch", `blob ${d.digest}: the registry sends more than the ${d.size} bytes its manifest says`);
    yield chunk;
  }
  if (n !== d.size) throw new MydockerError("size_mismatch", `blob ${d.digest}: the registry sent ${n} bytes, its manifest says ${d.size}`);
}

export interface PullOptions extends RegistryOptions {
  /** os/arch[/variant] to take from a multi-platform image; this machine's by default. */
  platform?: string;
}

/** docker's number of layers fetched at once. */
const ParallelLayers = 3;

export function pull(store: RegistryStore, text: string, options: PullOptions = {}, progress?: Progress): Promise<ImageRecord> {
  return interruptible(options.signal, () => pullImage(store, text, options, progress));
}

async function pullImage(store: RegistryStore, text: string, options: PullOptions, progress?: Progress): Promise<ImageRecord> {
  const wanted = parsePlatform(options.platform);
  const ref = withDefaultTag(parseReference(text));
  const client = new RegistryClient(ref.domain, options);
  const scope = `repository:${ref.path}:pull`;
  const step = (message: string): void => progress?.({ kind: "step", message });
  let { bytes, digest, mediaType } = await fetchManifest(client, ref, ref.digest ?? ref.tag!, scope);
  // The digest the user pulled by (an index's, for a multi-platform image) is its RepoDigest.
  const pulledDigest = digest;
  if (mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList) {
    const chosen = choosePlatform((JSON.parse(bytes.toString()) as ImageIndex).manifests, digest, wanted);
    ({ bytes, digest, mediaType } = await fetchManifest(client, ref, chosen.digest, scope));
  }
  if (mediaType !== MediaType.ociManifest && mediaType !== MediaType.dockerManifest) {
    throw new MydockerError("unsupported_media_type", `unsupported manifest media type "${mediaType}"`);
  }
  step(`${ref.tag ?? ref.digest}: Pulling from ${ref.path}`);
  const manifest = JSON.parse(bytes.toString()) as ImageManifest;
  for (const l of manifest.layers) {
    if (!layerTypes.has(l.mediaType)) throw new MydockerError("unsupported_media_type", `unsupported layer media type "${l.mediaType}"`);
  }
  const configBytes = await (await blob(client, ref, manifest.config, scope)).bytes(MaxConfigBytes, `config ${manifest.config.digest}`);
  if (sha256(configBytes) !== manifest.config.digest) throw mismatch("image config", manifest.config.digest, sha256(configBytes));
  checkConfigLimits(configBytes, `config ${manifest.config.digest}`);
  const config = JSON.parse(configBytes.toString()) as ImageConfig;
  checkConfig(config, `config ${manifest.config.digest}`);
  // An image of one platform is not another's because --platform asked for it (as docker).
  if (options.platform !== undefined && pulledDigest === digest) checkPlatform(config, formatReference(ref), options.platform);
  if (config.rootfs.diff_ids.length !== manifest.layers.length) {
    throw new MydockerError("invalid_manifest", `manifest ${digest} lists ${manifest.layers.length} layers but its config ${config.rootfs.diff_ids.length}`);
  }
  const names = [formatReference(ref.digest ? { ...ref, tag: undefined } : ref), `${repositoryOf(ref)}@${pulledDigest}`].filter((n, i, all) => all.indexOf(n) === i);
  // As docker: a pull that changes nothing the name means says so.
  const upToDate = store.resolve(names[0]!)?.id === manifest.config.digest;
  return store.withWorkDir(async (work) => {
    for (const l of manifest.layers) progress?.({ kind: "layer", id: shortId(l.digest), action: "waiting" });
    const layers = await mapLimit(manifest.layers, ParallelLayers, async (l, i): Promise<StagedLayer | Digest> => {
      const id = shortId(l.digest);
      const diffId = config.rootfs.diff_ids[i]!;
      if (store.layers.has(diffId) && store.catalog.hasLayer(diffId)) {
        progress?.({ kind: "layer", id, action: "exists" });
        return diffId;
      }
      const res = await blob(client, ref, l, scope);
      const report = (current: number): void => progress?.({ kind: "layer", id, action: "downloading", current, total: l.size });
      const staged = await store.layers.stage(sized(res.body, l), work, report);
      if (staged.blobDigest !== l.digest) throw mismatch(`layer ${l.digest}`, l.digest, staged.blobDigest);
      if (staged.diffId !== diffId) throw mismatch(`layer ${l.digest} (uncompressed)`, diffId, staged.diffId);
      progress?.({ kind: "layer", id, action: "done", current: l.size, total: l.size });
      return staged;
    });
    const image = store.addImage(configBytes.toString(), manifest.config.digest, layers, names);
    manifest.layers.forEach((l, i) => {
      store.catalog.recordBlob(l.digest, config.rootfs.diff_ids[i]!, l.mediaType, l.size);
      store.catalog.recordBlobRepository(l.digest, client.domain, ref.path);
    });
    step(`Digest: ${pulledDigest}`);
    step(`Status: ${upToDate ? "Image is up to date" : "Downloaded newer image"} for ${formatReference(ref)}`);
    return image;
  });
}
