// Finding a container and naming a new one read the rows they need (by id, name or id
// prefix), never every container: their cost does not grow with the number of containers.
// The engine here has a real store in a temporary root; no container runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Engine } from "../../src/engine/engine.js";
import type { ContainerRecord } from "../../src/engine/container-store.js";

const HEX = (c: string, rest = "0") => c + rest.repeat(64 - c.length);

function withEngine(fn: (engine: Engine, root: string) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-lookup-"));
    const engine = new Engine({ root: path.join(base, "root"), runRoot: path.join(base, "run"), cgroupParent: "unused", launcher: false });
    try {
      await fn(engine, base);
    } finally {
      engine.close();
      fs.rmSync(base, { recursive: true, force: true });
    }
  };
}

function created(engine: Engine, id: string, name: string, status: ContainerRecord["state"]["status"] = "created"): void {
  engine.containers.insert({
    id,
    name,
    image: "busybox",
    imageId: "sha256:" + "e".repeat(64),
    created: new Date().toISOString(),
    config: { Cmd: ["true"], Labels: {} } as unknown as ContainerRecord["config"],
    hostConfig: { Volumes: [] } as unknown as ContainerRecord["hostConfig"],
    state: { status, pid: 0, exitCode: 0, oomKilled: false, startedAt: "0001-01-01T00:00:00Z", finishedAt: "0001-01-01T00:00:00Z", error: "" },
    restartCount: 0,
  });
}

/** Makes reading every container fail: what passes afterwards read only what it looked up. */
function forbidFullReads(engine: Engine): void {
  const store = engine.containers;
  store.all = () => assert.fail("read every container");
  store.refs = () => assert.fail("read every container's id and name");
}

test(
  "resolve: full id, name, /name, unique id prefix, docker's errors, without reading every container",
  withEngine((engine) => {
    created(engine, HEX("abc123"), "web");
    created(engine, HEX("abd456"), "db");
    created(engine, HEX("ff", "1"), "abc");
    forbidFullReads(engine);
    assert.equal(engine.resolve(HEX("abc123")).name, "web");
    assert.equal(engine.resolve("db").id, HEX("abd456"));
    assert.equal(engine.resolve("/db").id, HEX("abd456"));
    assert.equal(engine.resolve("abd").name, "db");
    // A name wins over an id prefix, as in docker.
    assert.equal(engine.resolve("abc").name, "abc");
    assert.throws(() => engine.resolve("ab"), { message: "multiple IDs found with provided prefix: ab" });
    assert.throws(() => engine.resolve("nope"), { message: "No such container: nope" });
    // Not hex, so no id starts with it; and the range of the key does not leak past the prefix.
    assert.throws(() => engine.resolve("AB"), { message: "No such container: AB" });
    assert.throws(() => engine.resolve("abe"), { message: "No such container: abe" });
    assert.throws(() => engine.resolve(""), { message: "No such container: " });
  }),
);

test(
  "create without --name generates a free name without reading every container; with --name a taken one is refused",
  withEngine(async (engine, base) => {
    const rootfs = path.join(base, "rootfs");
    fs.mkdirSync(rootfs);
    created(engine, HEX("1"), "first");
    forbidFullReads(engine);
    const id = await engine.create({ rootfs, cmd: ["true"] });
    assert.match(engine.resolve(id).name, /^[a-z]+_[a-z]+\d?$/);
    await assert.rejects(engine.create({ rootfs, cmd: ["true"], name: "first" }), { message: /The container name "\/first" is already in use/ });
  }),
);

test(
  "a generated name another command took between the check and the insert is generated again",
  withEngine(async (engine, base) => {
    const rootfs = path.join(base, "rootfs");
    fs.mkdirSync(rootfs);
    const store = engine.containers;
    const insert = store.insert.bind(store);
    let raced = "";
    // Another command inserts a container with the very name just generated, right before ours.
    store.insert = (record) => {
      if (!raced) {
        raced = record.name;
        insert({ ...record, id: HEX("2"), name: raced });
      }
      insert(record);
    };
    const id = await engine.create({ rootfs, cmd: ["true"] });
    const name = store.get(id)?.name;
    assert.ok(raced && name && name !== raced, `a second name was generated (raced for ${raced}, got ${name})`);
  }),
);

test(
  "list without all reads only the records that say they run",
  withEngine(async (engine) => {
    created(engine, HEX("3"), "made");
    created(engine, HEX("4"), "ended", "exited");
    // Never started as far as the runtime goes, so nothing to reconcile: listed as recorded.
    created(engine, HEX("5"), "up", "running");
    engine.containers.all = () => assert.fail("read every container");
    assert.deepEqual((await engine.list(false)).map((c) => c.name), ["up"]);
  }),
);
