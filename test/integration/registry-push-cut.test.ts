// A push cut midway (^C, kill -9) against docker-registry: the store keeps its image as it
// was, no work directory is left, and the next push completes, giving the image that a pull
// elsewhere gets back. The cut comes while the layer is on its way: the push goes through
// a proxy in this test that holds the upload once its first MiB has passed.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileHeader, writeTar } from "../../src/image/tar/writer.js";
import { NOT_ROOT, isRoot, mydockerAsync, tempRoots, type Roots } from "../helpers/cli.js";
import { startRegistry, type Registry } from "../helpers/registry.js";
import { waitFor } from "../helpers/wait.js";
import { have } from "./image-helpers.js";

const skip = !isRoot() ? NOT_ROOT : !have("docker-registry") ? "needs docker-registry (apt-get install docker-registry)" : false;

let roots: Roots;
let elsewhere: Roots;
let registry: Registry;
let proxy: net.Server;
let proxyHost: string;
/** Whether the proxy holds what clients send past their first MiB, and whether it holds some now. */
const hold = { on: false, holding: false };
const sockets = new Set<net.Socket>();

/** Forwards to the registry; while hold.on, a client's bytes past its first MiB wait. */
function forward(client: net.Socket): void {
  const [h, p] = registry.host.split(":");
  const upstream = net.connect(Number(p), h!);
  for (const s of [client, upstream]) {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
  }
  let sent = 0;
  client.on("data", (chunk: Buffer) => {
    sent += chunk.length;
    upstream.write(chunk);
    if (hold.on && sent > 1 << 20) {
      hold.holding = true;
      client.pause();
      const resume = setInterval(() => {
        if (hold.on && !client.destroyed) return;
        clearInterval(resume);
        client.resume();
      }, 20);
    }
  });
  upstream.pipe(client);
  client.on("close", () => upstream.destroy());
  upstream.on("close", () => client.destroy());
}

before(async () => {
  if (skip) return;
  roots = tempRoots("mydocker-pushcut-");
  elsewhere = tempRoots("mydocker-pushcut-pull-");
  registry = await startRegistry(path.join(path.dirname(roots.root), "registry"));
  proxy = net.createServer(forward);
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  proxyHost = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
});

after(() => {
  for (const s of sockets) s.destroy();
  proxy?.close();
  registry?.stop();
  roots?.cleanup();
  elsewhere?.cleanup();
});

const md = (r: Roots, args: string[]) => mydockerAsync(r, args).done;

test("a push cut by SIGINT or SIGKILL while its layer is sent leaves the store as it was; the next push completes", { skip }, async () => {
  const body = crypto.randomBytes(8 << 20);
  const parts: Buffer[] = [];
  for await (const c of writeTar([{ header: fileHeader("data", body.length), body }])) parts.push(c);
  const tar = path.join(path.dirname(roots.root), "layer.tar");
  fs.writeFileSync(tar, Buffer.concat(parts));
  const ref = `${proxyHost}/cut/app:1`;
  const imported = await md(roots, ["import", tar, ref]);
  assert.equal(imported.status, 0, imported.stderr);
  const id = imported.stdout.trim();

  for (const signal of ["SIGINT", "SIGKILL"] as const) {
    hold.on = true;
    hold.holding = false;
    const push = mydockerAsync(roots, ["push", ref]);
    await waitFor(() => hold.holding, { what: "the layer's upload under way", timeoutMs: 60_000 });
    push.child.kill(signal);
    const r = await push.done;
    if (signal === "SIGINT") assert.equal(r.status, 130, r.stderr);
    else assert.equal(r.signal, "SIGKILL");
    hold.on = false;
    // The store as it was (the next command sweeps a killed one's work directory).
    const images = await md(roots, ["images", "-q", "--no-trunc"]);
    assert.equal(images.stdout.trim(), id);
    const tmp = path.join(roots.root, "image", "tmp");
    assert.deepEqual(fs.existsSync(tmp) ? fs.readdirSync(tmp) : [], []);
  }

  const pushed = await md(roots, ["push", ref]);
  assert.equal(pushed.status, 0, pushed.stderr);
  const pulled = await md(elsewhere, ["pull", "-q", ref]);
  assert.equal(pulled.status, 0, pulled.stderr);
  assert.equal((await md(elsewhere, ["images", "-q", "--no-trunc"])).stdout.trim(), id);
});
