// `push`: 3 layers at a time, each compressed as it is read from the store and sent in
// one streamed PATCH (its digest known when the stream ends, given in the closing PUT),
// so memory stays bounded whatever the layer's size. Blobs the registry has are not sent
// (HEAD), blobs another repository of it has are mounted, and the same layer always
// compresses to the same blob (compress.ts), so pushing it again finds it there.
import { MydockerError } from "../../util/errors.js";
import { mapLimit } from "../../util/parallel.js";
import { MediaType, type Descriptor, type Digest, type ImageManifest } from "../../spec/image.js";
import { compress, type PushCompression } from "../compress.js";
import { HashingTap, sha256 } from "../digest.js";
import { shortId, type Progress } from "../progress.js";
import { formatReference, normalizeReference, parseReference, repositoryOf, type ImageReference } from "../reference.js";
import type { RegistryStore } from "../store-access.js";
import type { ImageRecord } from "../types.js";
import { RegistryClient, interruptible, type RegistryOptions } from "./client.js";

export interface PushOptions extends RegistryOptions {
  /** How layers the registry has in no form are compressed (default gzip). */
  compression?: PushCompression;
}

const ParallelLayers = 3;

async function exists(client: RegistryClient, ref: ImageReference, digest: Digest, scope: string): Promise<boolean> {
  const res = await client.request("HEAD", `/v2/${ref.path}/blobs/${digest}`, scope);
  await res.discard();
  if (res.status === 404) return false;
  await RegistryClient.check(res, `checking blob ${digest}`);
  return true;
}

/** Starts an upload; with from, asks the registry to mount the blob from that repository instead (true when it did). */
async function startUpload(client: RegistryClient, ref: ImageReference, scope: string, mount?: { digest: Digest; from: string }): Promise<{ mounted: boolean; location: URL }> {
  const query = mount ? `?mount=${encodeURIComponent(mount.digest)}&from=${encodeURIComponent(mount.from)}` : "";
  const res = await RegistryClient.check(await client.request("POST", `/v2/${ref.path}/blobs/uploads/${query}`, scope), `starting an upload to ${ref.path}`);
  await res.discard();
  const location = res.header("location");
  if (!location) throw new MydockerError("registry_error", `${client.domain} gave no upload location`);
  return { mounted: res.status === 201, location: new URL(location, await client.endpoint()) };
}

async function finishUpload(client: RegistryClient, location: URL, digest: Digest, scope: string, body?: Buffer): Promise<void> {
  const url = new URL(location);
  url.searchParams.set("digest", digest);
  const headers: Record<string, string> = { "Content-Type": "application/octet-stream", "Content-Length": String(body?.length ?? 0) };
  await (await RegistryClient.check(await client.request("PUT", url.toString(), scope, { headers, body: body ?? Buffer.alloc(0) }), `uploading ${digest}`)).discard();
}

/** Counts bytes as they are sent. */
async function* counted(source: AsyncIterable<Buffer>, report: (n: number) => void): AsyncGenerator<Buffer> {
  let n = 0;
  for await (const chunk of source) {
    n += chunk.length;
    report(n);
    yield chunk;
  }
}

interface LayerPush {
  client: RegistryClient;
  ref: ImageReference;
  scope: string;
  store: RegistryStore;
  compression: PushCompression;
  progress?: Progress;
}

async function pushLayer(p: LayerPush, diffId: Digest): Promise<Descriptor> {
  const { client, ref, scope, store, progress } = p;
  const id = shortId(diffId);
  // A blob of this layer the registry has (this repository or another one it came from).
  for (const known of store.catalog.blobsOfLayer(diffId)) {
    if (await exists(client, ref, known.digest, scope)) {
      progress?.({ kind: "layer", id, action: "present" });
      return { mediaType: known.mediaType, digest: known.digest, size: known.size };
    }
    for (const from of store.catalog.repositoriesOfBlob(known.digest, client.domain)) {
      if (from === ref.path) continue;
      const { mounted, location } = await startUpload(client, ref, scope, { digest: known.digest, from });
      if (mounted) {
        progress?.({ kind: "layer", id, action: "mounted" });
        return { mediaType: known.mediaType, digest: known.digest, size: known.size };
      }
      await client.request("DELETE", location.toString(), scope).then((r) => r.discard(), () => {});
    }
  }
  const { location } = await startUpload(client, ref, scope);
  const tap = new HashingTap();
  const report = (current: number): void => progress?.({ kind: "layer", id, action: "pushing", current });
  const body = counted(tap.tap(compress((borrowed) => store.layers.tar(diffId, borrowed), p.compression)), report);
  const res = await client.request("PATCH", location.toString(), scope, { headers: { "Content-Type": "application/octet-stream" }, body });
  await RegistryClient.check(res, `uploading layer ${diffId}`);
  await res.discard();
  const next = res.header("location");
  const descriptor: Descriptor = { mediaType: p.compression === "zstd" ? MediaType.ociLayerZstd : MediaType.ociLayerGzip, digest: tap.digest(), size: tap.size };
  await finishUpload(client, next ? new URL(next, location) : location, descriptor.digest, scope);
  store.catalog.recordBlob(descriptor.digest, diffId, descriptor.mediaType, descriptor.size);
  progress?.({ kind: "layer", id, action: "pushed", current: descriptor.size, total: descriptor.size });
  return descriptor;
}

/** Pushes image (the store's image that text names) as text. */
export function push(store: RegistryStore, image: ImageRecord, text: string, options: PushOptions = {}, progress?: Progress): Promise<Digest> {
  return interruptible(options.signal, () => pushImage(store, image, text, options, progress));
}

async function pushImage(store: RegistryStore, image: ImageRecord, text: string, options: PushOptions, progress?: Progress): Promise<Digest> {
  const ref = parseReference(normalizeReference(text));
  if (ref.tag === undefined) throw new MydockerError("invalid_reference", `push needs a tag: ${text}`);
  const client = new RegistryClient(ref.domain, options);
  const scope = `repository:${ref.path}:pull,push`;
  progress?.({ kind: "step", message: `The push refers to repository [${repositoryOf(ref)}]` });
  for (const diffId of image.layers) progress?.({ kind: "layer", id: shortId(diffId), action: "waiting" });
  const job: LayerPush = { client, ref, scope, store, compression: options.compression ?? "gzip", progress };
  const layers = await mapLimit(image.layers, ParallelLayers, (diffId) => pushLayer(job, diffId));
  for (const l of layers) store.catalog.recordBlobRepository(l.digest, client.domain, ref.path);
  const config = Buffer.from(store.catalog.configText(image.id));
  if (!(await exists(client, ref, image.id, scope))) await finishUpload(client, (await startUpload(client, ref, scope)).location, image.id, scope, config);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: image.id, size: config.length },
    layers,
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = sha256(bytes);
  const res = await client.request("PUT", `/v2/${ref.path}/manifests/${ref.tag}`, scope, {
    headers: { "Content-Type": MediaType.ociManifest },
    body: bytes,
  });
  await (await RegistryClient.check(res, `pushing the manifest of ${formatReference(ref)}`)).discard();
  store.catalog.setName(`${repositoryOf(ref)}@${digest}`, image.id);
  progress?.({ kind: "step", message: `${ref.tag}: digest: ${digest} size: ${bytes.length}` });
  return digest;
}
