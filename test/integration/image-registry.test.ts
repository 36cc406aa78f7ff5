// pull and push against a real registry (Debian's docker-registry) on loopback.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { after, before, test } from "node:test";
import { makeBusyboxRootfs } from "../helpers/busybox-rootfs.js";
import type { ProgressEvent } from "../../src/image/index.js";
import { MydockerError } from "../../src/util/errors.js";
import { Podman, have, isRoot, kernelView, snapshot, tempDir, tempStore } from "./image-helpers.js";
import { waitFor } from "../helpers/wait.js";

const skip = !isRoot ? "needs root (layers keep owners)" : !have("docker-registry") ? "needs docker-registry (apt-get install docker-registry)" : false;

let registry: ChildProcess | undefined;
let work: string;
let host: string;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

before(async () => {
  if (skip) return;
  work = tempDir();
  const port = await freePort();
  host = `127.0.0.1:${port}`;
  const config = path.join(work, "registry.yml");
  fs.writeFileSync(config, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(work, "registry")}\nhttp:\n  addr: ${host}\nlog:\n  level: error\n`);
  registry = spawn("docker-registry", ["serve", config], { stdio: "ignore" });
  const answers = () => fetch(`http://${host}/v2/`).then((r) => r.ok, () => false);
  await waitFor(answers, { what: "docker-registry to answer", intervalMs: 100 });
});

after(() => {
  if (skip) return;
  registry?.kill();
  fs.rmSync(work, { recursive: true, force: true });
});

test("push, then pull into another store: same image, same files; present layers are not fetched again", { skip }, async () => {
  const a = tempStore();
  const b = tempStore();
  try {
    const rootfs = path.join(work, "rootfs");
    makeBusyboxRootfs(rootfs);
    spawnSync("tar", ["-C", rootfs, "-cf", path.join(work, "rootfs.tar"), "."]);
    const base = await a.store.importRootfsTar(fs.createReadStream(path.join(work, "rootfs.tar")), `${host}/test/busybox:1`);
    const digest = await a.store.push(`${host}/test/busybox:1`);
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);

    // Pushing again sends nothing new.
    const again: ProgressEvent[] = [];
    await a.store.push(`${host}/test/busybox:1`, {}, (e) => again.push(e));
    assert.ok(again.some((e) => e.kind === "layer" && e.action === "present"));
    assert.ok(!again.some((e) => e.kind === "layer" && e.action === "pushing"));

    const events: ProgressEvent[] = [];
    const pulled = await b.store.pull(`${host}/test/busybox:1`, {}, (e) => events.push(e));
    assert.equal(pulled.id, base.id);
    assert.deepEqual(pulled.names, [`${host}/test/busybox:1`]);
    assert.deepEqual(pulled.digests, [`${host}/test/busybox@${digest}`]);
    assert.ok(events.some((e) => e.kind === "layer" && e.action === "downloading"));
    const viewA = path.join(work, "view-a");
    const viewB = path.join(work, "view-b");
    kernelView(a.store.layerDirs(base), viewA);
    kernelView(b.store.layerDirs(pulled), viewB);
    assert.deepEqual(snapshot(viewB), snapshot(viewA));

    // A second tag of the same content: its layer is already here.
    a.store.tag(`${host}/test/busybox:1`, `${host}/test/other:2`);
    await a.store.push(`${host}/test/other:2`);
    const second: ProgressEvent[] = [];
    const byDigest = await b.store.pull(`${host}/test/other:2`, {}, (e) => second.push(e));
    assert.equal(byDigest.id, base.id);
    assert.ok(second.some((e) => e.kind === "layer" && e.action === "exists"));
    assert.ok(!second.some((e) => e.kind === "layer" && e.action === "downloading"));

    await assert.rejects(b.store.pull(`${host}/test/missing:1`), (e: unknown) => e instanceof MydockerError && e.code === "registry_not_found");
  } finally {
    a.cleanup();
    b.cleanup();
  }
});

test("an image that podman saved and skopeo copied into the registry pulls with the same files", { skip: skip || (!have("skopeo") || !have("podman") ? "needs skopeo and podman" : false) }, async () => {
  const t = tempStore();
  const podman = new Podman(path.join(work, "p"));
  try {
    const rootfs = path.join(work, "rootfs2");
    makeBusyboxRootfs(rootfs);
    fs.writeFileSync(path.join(rootfs, "marker"), "from podman\n");
    spawnSync("sh", ["-c", `tar -C "${rootfs}" -c . > "${work}/r2.tar"`]);
    podman.run("import", path.join(work, "r2.tar"), "localhost/peer:1");
    const archive = path.join(work, "peer-oci.tar");
    podman.run("save", "--format", "oci-archive", "-o", archive, "localhost/peer:1");
    const r = spawnSync("skopeo", ["copy", "--dest-tls-verify=false", `oci-archive:${archive}`, `docker://${host}/peer/img:1`], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const image = await t.store.pull(`${host}/peer/img:1`);
    const ours = path.join(work, "peer-ours");
    const theirs = path.join(work, "peer-theirs");
    kernelView(t.store.layerDirs(image), ours);
    podman.exportImage("localhost/peer:1", theirs);
    assert.deepEqual(snapshot(ours), snapshot(theirs));
  } finally {
    podman.cleanup();
    t.cleanup();
  }
});
