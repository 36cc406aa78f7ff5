// `push`: layers gzip-compressed (deterministically, so the same layer always makes the
// same blob), config and an OCI manifest. Blobs the registry already has are not sent.
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { zlib } from "../../util/lazy-require.js";
import { MydockerError } from "../../util/errors.js";
import { MediaType, type Descriptor, type Digest, type ImageManifest } from "../../spec/image.js";
import { HashingTap, digestHex, sha256 } from "../digest.js";
import { shortId, type Progress } from "../progress.js";
import { formatReference, normalizeReference, parseReference, repositoryOf, type ImageReference } from "../reference.js";
import type { RegistryStore } from "../store-access.js";
import type { ImageRecord } from "../types.js";
import { RegistryClient, type RegistryOptions } from "./client.js";

async function exists(client: RegistryClient, ref: ImageReference, digest: Digest, scope: string): Promise<boolean> {
  const res = await client.request("HEAD", `/v2/${ref.path}/blobs/${digest}`, scope);
  if (res.status === 404) return false;
  await RegistryClient.check(res, `checking blob ${digest}`);
  return true;
}

async function upload(client: RegistryClient, ref: ImageReference, digest: Digest, size: number, body: () => Buffer | AsyncIterable<Uint8Array>, scope: string): Promise<void> {
  const start = await RegistryClient.check(await client.request("POST", `/v2/${ref.path}/blobs/uploads/`, scope), `starting the upload of ${digest}`);
  const location = start.headers.get("location");
  if (!location) throw new MydockerError("registry_error", `${client.domain} gave no upload location`);
  const url = new URL(location, client.base);
  url.searchParams.set("digest", digest);
  const res = await client.request("PUT", url.toString(), scope, {
    headers: { "Content-Type": "application/octet-stream", "Content-Length": String(size) },
    body: body(),
  });
  await RegistryClient.check(res, `uploading ${digest}`);
}

/** Pushes image (the store's image that text names) as text. */
export async function push(store: RegistryStore, image: ImageRecord, text: string, options: RegistryOptions = {}, progress?: Progress): Promise<Digest> {
  const ref = parseReference(normalizeReference(text));
  if (ref.tag === undefined) throw new MydockerError("invalid_reference", `push needs a tag: ${text}`);
  const client = new RegistryClient(ref.domain, options);
  const scope = `repository:${ref.path}:pull,push`;
  progress?.({ kind: "step", message: `The push refers to repository [${repositoryOf(ref)}]` });
  const layers: Descriptor[] = await store.withWorkDir(async (work) => {
    const out: Descriptor[] = [];
    for (const diffId of image.layers) {
      const known = store.catalog.blobsOfLayer(diffId);
      let reused: Descriptor | undefined;
      for (const k of known) if (await exists(client, ref, k.digest, scope)) reused = k;
      if (reused) {
        progress?.({ kind: "layer", id: shortId(diffId), action: "exists" });
        out.push({ mediaType: reused.mediaType, digest: reused.digest, size: reused.size });
        continue;
      }
      const file = path.join(work, digestHex(diffId) + ".tar.gz");
      const tap = new HashingTap();
      await pipeline(Readable.from(store.layers.tar(diffId)), zlib().createGzip({ level: 6 }), async function* (gz: AsyncIterable<Buffer>) {
        yield* tap.tap(gz);
      }, fs.createWriteStream(file));
      const descriptor: Descriptor = { mediaType: MediaType.ociLayerGzip, digest: tap.digest(), size: tap.size };
      if (await exists(client, ref, descriptor.digest, scope)) {
        progress?.({ kind: "layer", id: shortId(diffId), action: "exists" });
      } else {
        progress?.({ kind: "layer", id: shortId(diffId), action: "pushing", current: 0, total: descriptor.size });
        await upload(client, ref, descriptor.digest, descriptor.size, () => fs.createReadStream(file), scope);
        progress?.({ kind: "layer", id: shortId(diffId), action: "pushed", current: descriptor.size, total: descriptor.size });
      }
      store.catalog.recordBlob(descriptor.digest, diffId, descriptor.mediaType, descriptor.size);
      fs.rmSync(file);
      out.push(descriptor);
    }
    return out;
  });
  const config = Buffer.from(store.catalog.configText(image.id));
  if (!(await exists(client, ref, image.id, scope))) await upload(client, ref, image.id, config.length, () => config, scope);
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
  await RegistryClient.check(res, `pushing the manifest of ${formatReference(ref)}`);
  store.catalog.setName(`${repositoryOf(ref)}@${digest}`, image.id);
  progress?.({ kind: "step", message: `${ref.tag}: digest: ${digest} size: ${bytes.length}` });
  return digest;
}
