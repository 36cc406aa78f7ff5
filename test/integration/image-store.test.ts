// The store's bookkeeping as the commands use it: resolve, tag, rmi, prune, history, inspect.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileHeader, writeTar } from "../../src/image/tar/writer.js";
import { MydockerError } from "../../src/util/errors.js";
import { isRoot, tempStore } from "./image-helpers.js";

const skip = isRoot ? false : "needs root (extraction sets owners)";

async function* rootfs(content: string): AsyncGenerator<Buffer> {
  const body = Buffer.from(content);
  yield* writeTar([{ header: fileHeader("f", body.length), body }]);
}

test("names, ids, tags, rmi and prune behave as docker's", { skip }, async () => {
  const t = tempStore();
  try {
    const a = await t.store.importRootfsTar(rootfs("a"), "app", { changes: { config: { Cmd: ["sh"], Env: ["A=1"] }, comment: "first" } });
    assert.deepEqual(a.names, ["docker.io/library/app:latest"]);
    assert.equal(t.store.resolve("app:latest")?.id, a.id);
    assert.equal(t.store.resolve("docker.io/library/app")?.id, a.id);
    assert.equal(t.store.resolve(a.id)?.id, a.id);
    assert.equal(t.store.resolve(a.id.slice(7, 19))?.id, a.id);
    assert.equal(t.store.resolve(a.id.slice(7))?.id, a.id);
    assert.equal(t.store.resolve("nothere"), undefined);
    assert.equal(fs.readFileSync(path.join(t.store.layerDirs(a)[0]!, "f"), "utf8"), "a");

    t.store.tag("app", "registry.example:5000/team/app:v1");
    assert.deepEqual(t.store.get("app").names, ["docker.io/library/app:latest", "registry.example:5000/team/app:v1"]);
    const inspect = t.store.inspect("app");
    assert.deepEqual(inspect.RepoTags, ["app:latest", "registry.example:5000/team/app:v1"]);
    assert.deepEqual(inspect.Config.Cmd, ["sh"]);
    assert.equal(inspect.Comment, "first");
    const history = t.store.history("app");
    assert.equal(history.length, 1);
    assert.equal(history[0]!.id, a.id);
    assert.equal(history[0]!.size, a.size);

    // By id, an image with two names needs force; in use, it cannot go at all.
    assert.throws(() => t.store.remove(a.id), (e: unknown) => e instanceof MydockerError && e.code === "image_conflict");
    assert.deepEqual(t.store.remove("registry.example:5000/team/app:v1"), { untagged: ["registry.example:5000/team/app:v1"], deleted: [] });
    const inUse = (id: string): string | undefined => (id === a.id ? "c0ffee" : undefined);
    assert.throws(() => t.store.remove("app", { inUse }), /being used by stopped container c0ffee/);
    assert.equal(t.store.list().length, 1);

    // Moving a name leaves the old image dangling, and prune removes it (unless in use).
    const b = await t.store.importRootfsTar(rootfs("b"), "app");
    assert.deepEqual(t.store.get(a.id).names, []);
    assert.deepEqual(t.store.prune({ inUse }).deleted, []);
    const pruned = t.store.prune();
    assert.deepEqual(pruned.deleted, [a.id]);
    assert.ok(pruned.reclaimedBytes > 0);
    assert.equal(fs.existsSync(t.store.layers.dir(a.layers[0]!)), false);
    assert.deepEqual(t.store.diskUsage(), { images: 1, layers: 1, layersSize: b.size, reclaimable: 0 });

    assert.deepEqual(t.store.remove("app"), { untagged: ["app:latest"], deleted: [b.id] });
    assert.deepEqual(t.store.list(), []);
    assert.deepEqual(fs.readdirSync(t.store.layers.root), []);
    assert.throws(() => t.store.remove("app"), /No such image: app/);
  } finally {
    t.cleanup();
  }
});
