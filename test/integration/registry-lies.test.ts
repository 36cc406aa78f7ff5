// A registry that lies, and pulls cut short. No real registry can be made to lie, so a small
// one is written here (node:http on loopback): it serves one image per repository, each
// with its own lie. Whatever it does, a pull fails with one line, exit 1 (as docker pull), and leaves no
// image, layer or work directory behind; a pull cut by ^C or kill -9 leaves nothing either,
// and the next pull of the same image works.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type net from "node:net";
import path from "node:path";
import zlib from "node:zlib";
import { after, before, test } from "node:test";
import { fileHeader, writeTar } from "../../src/image/tar/writer.js";
import { NOT_ROOT, isRoot, mydockerAsync, tempRoots, type Roots } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait.js";

const skip = !isRoot() ? NOT_ROOT : false;
const digestOf = (b: Buffer): string => `sha256:${crypto.createHash("sha256").update(b).digest("hex")}`;
const Credentials = "tester:secret";

interface Image {
  manifest: Buffer;
  blobs: Map<string, Buffer>;
}

async function gzippedTar(name: string, body: Buffer): Promise<{ blob: Buffer; diffId: string }> {
  const parts: Buffer[] = [];
  for await (const c of writeTar([{ header: fileHeader(name, body.length), body }])) parts.push(c);
  const tar = Buffer.concat(parts);
  // Stored, not deflated: the same length of input always gives the same length of blob.
  return { blob: zlib.gzipSync(tar, { level: 0 }), diffId: digestOf(tar) };
}

async function makeImage(content: Buffer, annotation = ""): Promise<Image> {
  const layer = await gzippedTar("data", content);
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: { Cmd: ["true"] }, rootfs: { type: "layers", diff_ids: [layer.diffId] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: digestOf(config), size: config.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: digestOf(layer.blob), size: layer.blob.length }],
      ...(annotation ? { annotations: { padding: annotation } } : {}),
    }),
  );
  return { manifest, blobs: new Map([[digestOf(config), config], [digestOf(layer.blob), layer.blob]]) };
}

let roots: Roots;
/** mydocker without blocking: the registry answering it runs in this process. */
const mydocker = (args: string[]) => mydockerAsync(roots, args).done;
let image: Image;
let layerDigest: string;
let other: Buffer;
let registry: http.Server;
let elsewhere: http.Server;
let host: string;
/** Authorization headers the other host was sent. */
const elsewhereSaw: (string | undefined)[] = [];
/** The stalled pull's state: how much of its layer went out, and whether it may go on. */
const stall = { sent: 0, release: false };
const sockets = new Set<net.Socket>();

function listen(server: http.Server): Promise<number> {
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)));
}

/** Serves image's layer in two halves, the second only once stall.release is set. */
function serveStalled(res: http.ServerResponse, blob: Buffer): void {
  res.writeHead(200, { "Content-Length": String(blob.length) });
  const half = blob.length >> 1;
  res.write(blob.subarray(0, half), () => (stall.sent = half));
  const go = setInterval(() => {
    if (res.destroyed) return clearInterval(go);
    if (!stall.release) return;
    clearInterval(go);
    res.end(blob.subarray(half));
  }, 20);
}

function handle(req: http.IncomingMessage, res: http.ServerResponse, elsewherePort: number): void {
  const m = /^\/v2\/lies\/([a-z-]+)\/(manifests|blobs)\/(.+)$/.exec(req.url ?? "");
  if (req.url === "/v2/") return void res.writeHead(200).end("{}");
  if (!m) return void res.writeHead(404).end();
  const [, lie, kind, reference] = m;
  if (lie === "redirect" && req.headers.authorization !== `Basic ${Buffer.from(Credentials).toString("base64")}`) {
    return void res.writeHead(401, { "WWW-Authenticate": 'Basic realm="lies"' }).end();
  }
  if (kind === "manifests") {
    // Over the 4 MiB a manifest may have: docker's and containers/image's limit.
    const manifest = lie === "big-manifest" ? Buffer.concat([image.manifest.subarray(0, -1), Buffer.from(`,"x":"${"a".repeat(5 << 20)}"}`)]) : image.manifest;
    return void res.writeHead(200, { "Content-Type": "application/vnd.oci.image.manifest.v1+json" }).end(manifest);
  }
  const blob = image.blobs.get(reference!);
  if (!blob) return void res.writeHead(404).end();
  if (reference !== layerDigest || lie === "big-manifest") return void res.writeHead(200).end(blob);
  switch (lie) {
    case "wrong-digest":
      return void res.writeHead(200).end(other);
    case "endless": {
      // The layer, then bytes without end and no length (bounded here at 256 MiB, for this machine's sake).
      res.writeHead(200);
      res.write(blob);
      let left = 256;
      const more = (): void => {
        while (left-- > 0 && !res.destroyed) if (!res.write(Buffer.alloc(1 << 20, 7))) return void res.once("drain", more);
        res.end();
      };
      return more();
    }
    case "short":
      return void res.writeHead(200, { "Content-Length": String(blob.length - 10) }).end(blob.subarray(0, -10));
    case "redirect":
      return void res.writeHead(307, { Location: `http://127.0.0.1:${elsewherePort}/storage/${reference}` }).end();
    case "stall":
      return serveStalled(res, blob);
    default:
      return void res.writeHead(200).end(blob);
  }
}

before(async () => {
  if (skip) return;
  roots = tempRoots("mydocker-lies-");
  image = await makeImage(crypto.randomBytes(4 << 20));
  layerDigest = JSON.parse(image.manifest.toString()).layers[0].digest;
  // Another layer of the same size: only its digest differs.
  other = (await gzippedTar("data", crypto.randomBytes(4 << 20))).blob;
  assert.equal(other.length, image.blobs.get(layerDigest)!.length);
  elsewhere = http.createServer((req, res) => {
    elsewhereSaw.push(req.headers.authorization);
    const blob = image.blobs.get(path.basename(req.url ?? ""));
    if (!blob) return void res.writeHead(404).end();
    res.writeHead(200).end(blob);
  });
  const elsewherePort = await listen(elsewhere);
  registry = http.createServer((req, res) => handle(req, res, elsewherePort));
  host = `127.0.0.1:${await listen(registry)}`;
});

after(() => {
  for (const s of sockets) s.destroy();
  registry?.close();
  elsewhere?.close();
  roots?.cleanup();
});

/** The store holds no image and no layer, and no work directory is left. */
async function nothingLeft(): Promise<void> {
  assert.equal((await mydocker(["images", "-aq"])).stdout, "");
  const layers = path.join(roots.root, "image", "layers");
  assert.deepEqual(fs.existsSync(layers) ? fs.readdirSync(layers).filter((n) => n !== "l") : [], []);
  const tmp = path.join(roots.root, "image", "tmp");
  assert.deepEqual(fs.existsSync(tmp) ? fs.readdirSync(tmp) : [], []);
}

async function refused(lie: string, message: RegExp): Promise<void> {
  const r = await mydocker(["pull", "-q", `${host}/lies/${lie}:1`]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, message);
  assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
  await nothingLeft();
}

test("a layer that is not its digest, longer or shorter than its size, a manifest over 4 MiB: refused, nothing kept", { skip }, async () => {
  await refused("wrong-digest", /expected digest sha256:[0-9a-f]{64}, got sha256:/);
  await refused("endless", /more than the \d+ bytes its manifest says/);
  await refused("short", /sends \d+ bytes, its manifest says \d+/);
  await refused("big-manifest", /manifest .* is more than 4194304 bytes/);
});

test("a blob redirected to another host gets there without the registry's credentials", { skip }, async () => {
  const denied = await mydocker(["pull", "-q", `${host}/lies/redirect:1`]);
  assert.equal(denied.status, 1);
  assert.match(denied.stderr, /unauthorized/);
  const r = await mydocker(["pull", "-q", "--creds", Credentials, `${host}/lies/redirect:1`]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(elsewhereSaw.length > 0, "the blob was fetched from the other host");
  assert.deepEqual(elsewhereSaw.filter((a) => a !== undefined), [], "no credentials went to the other host");
  assert.equal((await mydocker(["rmi", `${host}/lies/redirect:1`])).status, 0);
  await nothingLeft();
});

for (const signal of ["SIGINT", "SIGKILL"] as const) {
  test(`a pull cut by ${signal} midway leaves nothing, and the next pull works`, { skip }, async () => {
    stall.sent = 0;
    stall.release = false;
    const p = mydockerAsync(roots, ["pull", `${host}/lies/stall:1`]);
    await waitFor(() => stall.sent > 0, { what: "half of the layer sent", timeoutMs: 30_000 });
    p.child.kill(signal);
    const r = await p.done;
    const tmp = path.join(roots.root, "image", "tmp");
    if (signal === "SIGINT") {
      // ^C: the pull removes what it staged itself, and exits 130 as a shell would say.
      assert.equal(r.status, 130, r.stderr);
      assert.deepEqual(fs.existsSync(tmp) ? fs.readdirSync(tmp) : [], []);
    } else assert.equal(r.signal, "SIGKILL");
    // A killed pull's work directory is swept by the next command (images, in nothingLeft).
    await nothingLeft();
    stall.release = true;
    const again = await mydocker(["pull", "-q", `${host}/lies/stall:1`]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal((await mydocker(["rmi", `${host}/lies/stall:1`])).status, 0);
    await nothingLeft();
  });
}
