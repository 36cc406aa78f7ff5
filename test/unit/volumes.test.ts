import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDb } from "../../src/store/db.js";
import { ANONYMOUS_LABEL, isAnonymous, parseVolumeFilters, VolumeStore } from "../../src/engine/volumes/store.js";
import { parseMountFlag, parseTmpfsFlag, parseVolumeFlag } from "../../src/engine/volumes/volume-flags.js";
import { mergeTmpfsOptions, ramInBytes } from "../../src/engine/tmpfs-options.js";
import { imageVolumeSpecs, toOciMounts } from "../../src/engine/volumes/volume-mounts.js";

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-volumes-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function tempStore(t: { after: (fn: () => void) => void }): { store: VolumeStore; root: string } {
  const root = tempDir(t);
  const db = openDb(root);
  t.after(() => db.close());
  return { store: new VolumeStore(db, root), root };
}

// ---- -v ----

test("-v: bind, named volume and anonymous volume", () => {
  assert.deepEqual(parseVolumeFlag("/host/dir/:/ctr"), {
    type: "bind", source: "/host/dir", target: "/ctr", readonly: false, propagation: "rprivate", nonRecursive: false, createSource: true,
  });
  assert.deepEqual(parseVolumeFlag("/h:/c:ro,rshared,z"), {
    type: "bind", source: "/h", target: "/c", readonly: true, propagation: "rshared", nonRecursive: false, createSource: true,
  });
  assert.deepEqual(parseVolumeFlag("data:/var/lib/data:ro,nocopy"), {
    type: "volume", name: "data", target: "/var/lib/data", readonly: true, nocopy: true, labels: {},
  });
  assert.deepEqual(parseVolumeFlag("/anon"), { type: "volume", name: undefined, target: "/anon", readonly: false, nocopy: false, labels: {} });
});

test("-v: docker's errors", () => {
  const cases: [string, string][] = [
    ["", "invalid volume specification: ''"],
    [":/x", "invalid volume specification: ':/x'"],
    ["/a:/b:ro:x", "invalid volume specification: '/a:/b:ro:x'"],
    ["/foo:rw", "invalid volume specification: '/foo:rw'"],
    ["/a:/b:rx", "invalid mode: rx"],
    ["/a:/b:ro,rw", "invalid mode: ro,rw"],
    ["x", `invalid volume specification: 'x': invalid mount config for type "volume": invalid mount path: 'x' mount path must be absolute`],
    ["/a:/", `invalid volume specification: '/a:/': invalid mount config for type "bind": invalid specification: destination can't be '/'`],
    ["/a:/b:nocopy", `invalid volume specification: '/a:/b:nocopy': invalid mount config for type "bind": field VolumeOptions must not be specified`],
    ["v:/b:shared", `invalid volume specification: 'v:/b:shared': invalid mount config for type "volume": field BindOptions must not be specified`],
  ];
  for (const [raw, message] of cases) assert.throws(() => parseVolumeFlag(raw), { message }, raw);
});

// ---- --mount ----

test("--mount: bind, volume, tmpfs", (t) => {
  const dir = tempDir(t);
  assert.deepEqual(parseMountFlag(`type=bind,source=${dir},target=/data,readonly,bind-propagation=rslave`), {
    type: "bind", source: dir, target: "/data", readonly: true, propagation: "rslave", nonRecursive: false, createSource: false,
  });
  assert.deepEqual(parseMountFlag(`type=bind,src=${dir},dst=/d,ro=false,bind-nonrecursive`), {
    type: "bind", source: dir, target: "/d", readonly: false, propagation: "rprivate", nonRecursive: true, createSource: false,
  });
  assert.deepEqual(parseMountFlag("source=vol,target=/v,volume-nocopy,volume-label=a=b=c"), {
    type: "volume", name: "vol", target: "/v", readonly: false, nocopy: true, labels: { a: "b=c" },
  });
  assert.deepEqual(parseMountFlag("type=volume,destination=/anon"), {
    type: "volume", name: undefined, target: "/anon", readonly: false, nocopy: false, labels: {},
  });
  assert.deepEqual(parseMountFlag("type=tmpfs,target=/run,tmpfs-size=64m,tmpfs-mode=1777,readonly"), {
    type: "tmpfs", target: "/run", options: ["noexec", "nosuid", "nodev", "rprivate", "ro", "mode=1777", "size=64m"],
  });
  assert.deepEqual(parseMountFlag(`"type=tmpfs","target=/x,y"`), {
    type: "tmpfs", target: "/x,y", options: ["noexec", "nosuid", "nodev", "rprivate"],
  });
});

test("--mount: docker's errors", () => {
  const cases: [string, string][] = [
    ["type=bind,source=/nonexistent-mydocker,target=/x", `invalid mount config for type "bind": bind source path does not exist: /nonexistent-mydocker`],
    ["type=bind,target=/x", `invalid mount config for type "bind": field Source must not be empty`],
    ["type=bind,source=rel,target=/x", `invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`],
    ["type=bind,source=/,target=/x,bind-propagation=weird", `invalid mount config for type "bind": invalid propagation mode: weird`],
    ["type=volume,target=/x,readonly", `invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes`],
    ["type=tmpfs,source=x,target=/x", `invalid mount config for type "tmpfs": field Source must not be specified`],
    ["type=nfs,target=/x", `invalid mount config for type "nfs": mount type unknown`],
    ["type=volume,target=rel", `invalid mount config for type "volume": invalid mount path: 'rel' mount path must be absolute`],
    ["type=volume,source=v", "target is required"],
    ["type=,target=/x", "type is required"],
    ["type=volume,target=/x,bogus", "invalid field 'bogus' must be a key=value pair"],
    ["type=volume,target=/x,color=red", "unexpected key 'color' in 'color=red'"],
    ["type=volume,target=/x,readonly=maybe", "invalid value for readonly: maybe"],
    ["type=tmpfs,target=/x,tmpfs-size=lots", "invalid value for tmpfs-size: lots"],
    ["type=tmpfs,target=/x,tmpfs-mode=999", "invalid value for tmpfs-mode: 999"],
    ["type=bind,source=/,target=/x,volume-nocopy", "cannot mix 'volume-*' options with mount type 'bind'"],
    ["type=volume,target=/x,tmpfs-size=1m", "cannot mix 'tmpfs-*' options with mount type 'volume'"],
  ];
  for (const [raw, message] of cases) assert.throws(() => parseMountFlag(raw), { message }, raw);
});

// ---- --tmpfs ----

test("--tmpfs: docker's defaults, later options win", () => {
  assert.deepEqual(parseTmpfsFlag("/run"), { type: "tmpfs", target: "/run", options: ["noexec", "nosuid", "nodev", "rprivate"] });
  assert.deepEqual(parseTmpfsFlag("/run:rw,size=64m,exec,size=1g,mode=1777").options, [
    "nosuid", "nodev", "rprivate", "rw", "exec", "size=1g", "mode=1777",
  ]);
  assert.throws(() => parseTmpfsFlag("run"), { message: "invalid mount path: 'run' mount path must be absolute" });
  assert.throws(() => parseTmpfsFlag("/:size=1m"), { message: "invalid specification: destination can't be '/'" });
  assert.throws(() => parseTmpfsFlag("/x:color=red"), { message: 'invalid tmpfs option ["color" "red"]' });
  assert.throws(() => parseTmpfsFlag("/x:sparkly"), { message: 'invalid tmpfs option ["sparkly"]' });
  assert.deepEqual(mergeTmpfsOptions(["defaults", "ro", "private", "rw", "rshared"]), ["rw", "rshared"]);
});

test("sizes as docker reads them", () => {
  assert.equal(ramInBytes("64m"), 64 * 1024 * 1024);
  assert.equal(ramInBytes("1.5GiB"), 1.5 * 1024 ** 3);
  assert.equal(ramInBytes("100"), 100);
  assert.equal(ramInBytes("1 kb"), 1024);
  assert.equal(ramInBytes("m"), undefined);
});

// ---- the store ----

test("volume store: create, inspect, idempotent create, list, filters", (t) => {
  const { store, root } = tempStore(t);
  const v = store.create("data", { labels: { app: "web" } });
  assert.equal(v.Name, "data");
  assert.equal(v.Driver, "local");
  assert.equal(v.Scope, "local");
  assert.equal(v.Mountpoint, path.join(root, "volumes", "data", "_data"));
  assert.match(v.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual(v.Labels, { app: "web" });
  assert.deepEqual(v.Options, {});
  assert.ok(fs.statSync(v.Mountpoint).isDirectory());
  assert.deepEqual(store.create("data", { labels: { other: "x" } }), v);
  assert.deepEqual(store.inspect("data"), v);

  const anon = store.create();
  assert.match(anon.Name, /^[0-9a-f]{64}$/);
  assert.ok(isAnonymous(anon));
  assert.deepEqual(anon.Labels, { [ANONYMOUS_LABEL]: "" });
  assert.ok(!isAnonymous(v));

  const names = (vs: { Name: string }[]) => vs.map((x) => x.Name);
  assert.deepEqual(names(store.list()), [anon.Name, "data"].sort());
  assert.deepEqual(names(store.list(parseVolumeFilters(["name=dat"]))), ["data"]);
  assert.deepEqual(names(store.list(parseVolumeFilters(["label=app=web"]))), ["data"]);
  assert.deepEqual(names(store.list(parseVolumeFilters(["label=app=db"]))), []);
  assert.deepEqual(names(store.list(parseVolumeFilters(["label=" + ANONYMOUS_LABEL]))), [anon.Name]);
  const usedBy = (n: string) => (n === "data" ? ["c1"] : []);
  assert.deepEqual(names(store.list(parseVolumeFilters(["dangling=true"]), usedBy)), [anon.Name]);
  assert.deepEqual(names(store.list(parseVolumeFilters(["dangling=false"]), usedBy)), ["data"]);
  assert.throws(() => parseVolumeFilters(["color=red"]), { message: "invalid filter 'color'" });
});

test("volume store: docker's errors", (t) => {
  const { store } = tempStore(t);
  assert.throws(() => store.create("a/b"), {
    message: `create a/b: "a/b" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
  });
  assert.throws(() => store.create("x1", { driver: "nfs" }), { message: `create x1: error looking up volume plugin nfs: plugin "nfs" not found` });
  assert.throws(() => store.inspect("nope"), { message: "No such volume: nope" });
  assert.throws(() => store.remove("nope", () => []), { message: "get nope: no such volume" });
  store.remove("nope", () => [], { force: true });
});

test("volume store: remove refuses a volume in use, even with force", (t) => {
  const { store } = tempStore(t);
  const v = store.create("busy");
  fs.writeFileSync(path.join(v.Mountpoint, "f"), "x");
  const users = ["a".repeat(64), "b".repeat(64)];
  assert.throws(() => store.remove("busy", () => users, { force: true }), {
    message: `remove busy: volume is in use - [${users.join(" ")}]`,
  });
  store.remove("busy", () => []);
  assert.equal(store.get("busy"), undefined);
  assert.equal(fs.existsSync(path.dirname(v.Mountpoint)), false);
});

test("volume store: prune removes unused anonymous volumes, or all unused with all", (t) => {
  const { store } = tempStore(t);
  const anon = store.create();
  const usedAnon = store.create();
  store.create("named");
  fs.writeFileSync(path.join(anon.Mountpoint, "f"), "12345");
  const usedBy = (n: string) => (n === usedAnon.Name ? ["c"] : []);
  const r = store.prune(usedBy);
  assert.deepEqual(r.deleted, [anon.Name]);
  assert.ok(r.spaceReclaimed >= 5);
  assert.deepEqual(store.prune(usedBy, { all: true }).deleted, ["named"]);
  assert.deepEqual(store.list().map((v) => v.Name), [usedAnon.Name]);
});

// ---- to OCI mounts ----

test("toOciMounts: binds, volumes, tmpfs in parent-first order; creates what is missing", (t) => {
  const { store } = tempStore(t);
  const dir = tempDir(t);
  const image = path.join(dir, "layer");
  fs.mkdirSync(path.join(image, "etc/conf"), { recursive: true });
  fs.writeFileSync(path.join(image, "etc/conf/a.conf"), "a=1\n");
  const hostDir = path.join(dir, "made/by/-v");
  const specs = [
    parseVolumeFlag("named:/etc/conf"),
    parseVolumeFlag(`${hostDir}:/mnt/host:ro`),
    parseTmpfsFlag("/run:size=1m"),
    parseVolumeFlag("/etc"),
  ];
  const { mounts, volumes } = toOciMounts(specs, store, [image]);
  assert.ok(fs.statSync(hostDir).isDirectory());
  const anon = volumes.find((n) => n !== "named")!;
  assert.deepEqual(volumes, ["named", anon]);
  assert.deepEqual(mounts, [
    { destination: "/run", source: "tmpfs", type: "tmpfs", options: ["noexec", "nosuid", "nodev", "rprivate", "size=1m"] },
    { destination: "/etc", source: store.dataDir(anon), type: "bind", options: ["rbind", "rw", "rprivate"] },
    { destination: "/etc/conf", source: store.dataDir("named"), type: "bind", options: ["rbind", "rw", "rprivate"] },
    { destination: "/mnt/host", source: hostDir, type: "bind", options: ["rbind", "ro", "rprivate"] },
  ]);
  // Both new volumes were filled from the image.
  assert.equal(fs.readFileSync(path.join(store.dataDir("named"), "a.conf"), "utf8"), "a=1\n");
  assert.equal(fs.readFileSync(path.join(store.dataDir(anon), "conf/a.conf"), "utf8"), "a=1\n");
});

test("toOciMounts: nocopy, non-empty volumes are left alone; duplicates refused", (t) => {
  const { store } = tempStore(t);
  const image = path.join(tempDir(t), "layer");
  fs.mkdirSync(path.join(image, "data"), { recursive: true });
  fs.writeFileSync(path.join(image, "data/from-image"), "");
  const kept = store.create("kept");
  fs.writeFileSync(path.join(kept.Mountpoint, "mine"), "");
  toOciMounts([parseVolumeFlag("kept:/data"), parseVolumeFlag("fresh:/data2:nocopy")], store, [image]);
  assert.deepEqual(fs.readdirSync(kept.Mountpoint), ["mine"]);
  assert.deepEqual(fs.readdirSync(store.dataDir("fresh")), []);
  assert.throws(() => toOciMounts([parseVolumeFlag("/x"), parseTmpfsFlag("/x")], store, []), { message: "Duplicate mount point: /x" });
});

test("toOciMounts: a failure removes the anonymous volumes it made", (t) => {
  const { store } = tempStore(t);
  assert.throws(() => toOciMounts([parseVolumeFlag("/ok"), parseVolumeFlag("bad/name:/bad")], store, []));
  assert.deepEqual(store.list(), []);
});

test("image VOLUMEs become anonymous volumes unless the user mounts there", () => {
  const specs = imageVolumeSpecs({ "/data/": {}, "/logs": {} }, [parseVolumeFlag("v:/logs")]);
  assert.deepEqual(specs, [{ type: "volume", name: undefined, target: "/data", readonly: false, nocopy: false, labels: {} }]);
});
