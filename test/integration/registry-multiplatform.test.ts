// A multi-platform image (an OCI index of two platforms) in docker-registry: pull takes
// this machine's platform or the one --platform names, and its RepoDigest is the index's
// digest (what the user pulled by); manifest inspect shows the index.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import path from "node:path";
import { after, before, test } from "node:test";
import { MediaType } from "../../src/spec/image.js";
import { fileHeader, writeTar } from "../../src/image/tar/writer.js";
import { NOT_ROOT, isRoot, mydocker, tempRoots, type Roots } from "../helpers/cli.js";
import { startRegistry, type Registry } from "../helpers/registry.js";
import { have } from "./image-helpers.js";

const skip = !isRoot() ? NOT_ROOT : !have("docker-registry") ? "needs docker-registry (apt-get install docker-registry)" : false;

let registry: Registry;
let roots: Roots;
let indexDigest: string;
const configs: Record<string, string> = {};

const sha = (b: Buffer): string => `sha256:${crypto.createHash("sha256").update(b).digest("hex")}`;

async function putBlob(repo: string, bytes: Buffer): Promise<string> {
  const digest = sha(bytes);
  const start = await fetch(`http://${registry.host}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  assert.equal(start.status, 202);
  const url = new URL(start.headers.get("location")!, `http://${registry.host}`);
  url.searchParams.set("digest", digest);
  const put = await fetch(url, { method: "PUT", body: new Uint8Array(bytes), headers: { "Content-Type": "application/octet-stream" } });
  assert.equal(put.status, 201, await put.text());
  return digest;
}

/** A manifest under tag, or under its own digest when tag is undefined. */
async function putManifest(repo: string, tag: string | undefined, mediaType: string, body: unknown): Promise<{ digest: string; size: number }> {
  const bytes = Buffer.from(JSON.stringify(body));
  const res = await fetch(`http://${registry.host}/v2/${repo}/manifests/${tag ?? sha(bytes)}`, { method: "PUT", body: bytes, headers: { "Content-Type": mediaType } });
  assert.equal(res.status, 201, await res.text());
  return { digest: sha(bytes), size: bytes.length };
}

before(async () => {
  if (skip) return;
  roots = tempRoots("mydocker-multi-");
  registry = await startRegistry(path.join(path.dirname(roots.root), "registry"));
  const manifests = [];
  for (const arch of ["arm64", "amd64"]) {
    const content = Buffer.from(`for ${arch}\n`);
    const parts: Buffer[] = [];
    for await (const c of writeTar([{ header: fileHeader("arch", content.length), body: content }])) parts.push(c);
    const layer = Buffer.concat(parts);
    const layerDigest = await putBlob("multi/app", layer);
    const config = Buffer.from(JSON.stringify({ architecture: arch, os: "linux", config: { Cmd: ["sh"] }, rootfs: { type: "layers", diff_ids: [layerDigest] } }));
    configs[arch] = await putBlob("multi/app", config);
    const body = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: configs[arch], size: config.length },
      layers: [{ mediaType: MediaType.ociLayer, digest: layerDigest, size: layer.length }],
    };
    const m = await putManifest("multi/app", undefined, MediaType.ociManifest, body);
    // Each platform's image alone too, under its architecture's tag.
    await putManifest("multi/app", arch, MediaType.ociManifest, body);
    manifests.push({ mediaType: MediaType.ociManifest, ...m, platform: { os: "linux", architecture: arch } });
  }
  indexDigest = (await putManifest("multi/app", "1", MediaType.ociIndex, { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests })).digest;
});

after(() => {
  if (skip) return;
  registry?.stop();
  roots?.cleanup();
});

test("pull of a multi-platform image takes this machine's platform, its RepoDigest the index's digest", { skip }, () => {
  const ref = `${registry.host}/multi/app:1`;
  const pulled = mydocker(roots, ["pull", ref]);
  assert.equal(pulled.status, 0, pulled.stderr);
  assert.match(pulled.stderr, new RegExp(`Digest: ${indexDigest}`));
  const inspect = mydocker(roots, ["image", "inspect", "-f", "{{.Id}} {{.Architecture}} {{json .RepoDigests}}", ref]);
  const host = process.arch === "arm64" ? "arm64" : "amd64";
  assert.equal(inspect.stdout.trim(), `${configs[host]} ${host} ["${registry.host}/multi/app@${indexDigest}"]`);
  const digests = mydocker(roots, ["images", "--digests", "--format", "{{.Digest}}", `${registry.host}/multi/app`]);
  assert.equal(digests.stdout.trim(), indexDigest);

  const other = host === "amd64" ? "arm64" : "amd64";
  const chosen = mydocker(roots, ["pull", "--platform", `linux/${other}`, ref]);
  assert.equal(chosen.status, 0, chosen.stderr);
  assert.match(mydocker(roots, ["image", "inspect", "-f", "{{.Architecture}}", ref]).stdout, new RegExp(other));
  const none = mydocker(roots, ["pull", "--platform", "linux/s390x", ref]);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /no image for linux\/s390x .*it has: linux\/arm64, linux\/amd64/);
  // An image of one platform only is refused for another, as docker does.
  const single = mydocker(roots, ["pull", "--platform", `linux/${other}`, `${registry.host}/multi/app:${host}`]);
  assert.equal(single.status, 1);
  assert.match(single.stderr, new RegExp(`does not match the specified platform: wanted linux/${other}, actual: linux/${host}`));
  assert.equal(mydocker(roots, ["pull", "-q", "--platform", `linux/${host}`, `${registry.host}/multi/app:${host}`]).status, 0);
});

test("manifest inspect prints the index the registry serves", { skip }, () => {
  const r = mydocker(roots, ["manifest", "inspect", `${registry.host}/multi/app:1`]);
  assert.equal(r.status, 0, r.stderr);
  const index = JSON.parse(r.stdout) as { mediaType: string; manifests: { platform: { architecture: string } }[] };
  assert.equal(index.mediaType, MediaType.ociIndex);
  assert.deepEqual(index.manifests.map((m) => m.platform.architecture), ["arm64", "amd64"]);
  const missing = mydocker(roots, ["manifest", "inspect", `${registry.host}/multi/none:1`]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /manifest for .*multi\/none:1/);
});
