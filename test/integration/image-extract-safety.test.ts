// Crafted archives against load and import (issue 11, findings 1, 2 and 8): a layer that
// turns a directory into a symlink to a host directory after queuing work in it, xattr
// names that rewrite a text format, overlay xattrs, archives without a manifest, a
// negative pax size, configs too deep or too big. A sentinel directory on the host must
// stay exactly as it was, and a refused archive must leave the store as it was.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { sha256 } from "../../src/image/digest.js";
import { encodeHeader, type TarHeader } from "../../src/image/tar/header.js";
import { dirHeader, fileHeader, writeTar, type TarEntry } from "../../src/image/tar/writer.js";
import { MydockerError, isErrno } from "../../src/util/errors.js";
import { lgetxattrat, llistxattrat, openDir } from "../../src/util/fsat.js";
import { mydocker, tempRoots, type Roots } from "../helpers/cli.js";
import { isRoot, tempDir, tempStore, type TempStore } from "./image-helpers.js";

const skip = isRoot ? false : "needs root (extraction makes device nodes and sets owners)";

async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of gen) parts.push(c);
  return Buffer.concat(parts);
}

async function* once(buf: Buffer): AsyncGenerator<Buffer> {
  yield buf;
}

function entry(header: Partial<TarHeader> & { name: string }, body?: string): TarEntry {
  const bytes = body === undefined ? undefined : Buffer.from(body);
  return { header: { ...fileHeader(header.name, bytes?.length ?? 0), ...header }, body: bytes };
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, "utf8"), value, Buffer.from("\n")]);
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return Buffer.concat([Buffer.from(String(length)), body]);
}

/** A raw pax header (typeflag x) with any records, for what the project's writer never writes. */
function paxHeader(records: [string, Buffer | string][]): Buffer {
  const data = Buffer.concat(records.map(([k, v]) => paxRecord(k, Buffer.from(v))));
  const block = encodeHeader(fileHeader("PaxHeaders/x", data.length));
  block.write("x", 156, "ascii");
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += block[i]!;
  block.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
  return Buffer.concat([block, data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

function dockerArchive(layer: Buffer, configOverride?: Buffer, withManifest = true): Promise<Buffer> {
  const config = configOverride ?? Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [sha256(layer)] } }));
  const configName = `${sha256(config).slice(7)}.json`;
  const manifest = [{ Config: configName, RepoTags: ["evil:1"], Layers: ["layer.tar"] }];
  const members: TarEntry[] = [
    { header: fileHeader("layer.tar", layer.length), body: layer },
    { header: fileHeader(configName, config.length), body: config },
  ];
  if (withManifest) members.push(entry({ name: "manifest.json" }, JSON.stringify(manifest)));
  return collect(writeTar(members));
}

/** A host directory that must never change: its entries, their inodes, modes, times and xattrs. */
class Sentinel {
  readonly dir: string;
  constructor(base: string) {
    this.dir = path.join(base, "sentinel");
    fs.mkdirSync(this.dir);
    fs.writeFileSync(path.join(this.dir, "y"), "host file");
    fs.utimesSync(path.join(this.dir, "y"), 1000, 1000);
    fs.utimesSync(this.dir, 2000, 2000);
  }

  state(): string {
    const fd = openDir(this.dir);
    try {
      const describe = (name: string): string => {
        const st = fs.lstatSync(path.join(this.dir, name));
        return `${name} ${st.ino} ${st.mode.toString(8)} ${st.mtimeMs} ${llistxattrat(fd, name).sort().join(",")}`;
      };
      return [describe(""), ...fs.readdirSync(this.dir).sort().map(describe)].join("\n");
    } finally {
      fs.closeSync(fd);
    }
  }
}

function storeState(t: TempStore): string {
  const layers = fs.readdirSync(path.join(t.root, "image", "layers"));
  return JSON.stringify({ images: t.store.list().map((i) => [i.id, i.names]), layers });
}

/** Entries that queue work under a/ (nodes, a whiteout, an xattr) and then make a a symlink to the sentinel. */
async function swapLayer(sentinel: string, tail: TarEntry[] = []): Promise<Buffer> {
  return collect(
    writeTar([
      { header: dirHeader("a/", 0o755, 5000) },
      entry({ name: "a/fifo", type: "fifo" }),
      entry({ name: "a/char", type: "char", mode: 0o666, devmajor: 1, devminor: 3 }),
      entry({ name: "a/block", type: "block", mode: 0o666, devmajor: 7, devminor: 0 }),
      entry({ name: "a/.wh.gone" }),
      entry({ name: "a/y", xattrs: new Map([["user.evil", Buffer.from("1")]]) }, "layer file"),
      entry({ name: "a", type: "symlink", linkname: sentinel }),
      ...tail,
    ]),
  );
}

describe("extraction cannot leave the layer's root", { skip }, () => {
  let base: string;
  before(() => (base = tempDir("mydocker-extract-safety-")));
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  /** Runs fn with a fresh store and a fresh sentinel, which must be unchanged afterwards. */
  async function guarded(name: string, fn: (t: TempStore, sentinel: string) => Promise<void>): Promise<void> {
    const dir = path.join(base, name);
    fs.mkdirSync(dir);
    const sentinel = new Sentinel(dir);
    const before = sentinel.state();
    const t = tempStore();
    try {
      await fn(t, sentinel.dir);
    } finally {
      t.cleanup();
      assert.equal(sentinel.state(), before, "the host's sentinel directory changed");
    }
  }

  it("load and import: a parent replaced by a symlink to a host directory gets no node, whiteout, xattr or time", () =>
    guarded("swap", async (t, sentinel) => {
      const layer = await swapLayer(sentinel);
      const file = path.join(t.base, "swap.tar");
      fs.writeFileSync(file, await dockerArchive(layer));
      const [image] = await t.store.load(fs.createReadStream(file));
      assert.deepEqual(image?.names, ["docker.io/library/evil:1"]);
      const dir = t.store.layers.dir(image!.layers[0]!);
      assert.equal(fs.readlinkSync(path.join(dir, "a")), sentinel);
      assert.deepEqual(fs.readdirSync(dir), ["a"]);
      await t.store.importRootfsTar(once(layer), "evil:2");

      // One more entry through the replaced parent: refused, and the store is unchanged.
      const state = storeState(t);
      const worse = await swapLayer(sentinel, [entry({ name: "a/late", type: "fifo" })]);
      await assert.rejects(
        async () => t.store.load(once(await dockerArchive(worse))),
        (e: unknown) => e instanceof MydockerError && e.code === "unsafe_archive" && /symbolic link "a"/.test(e.message),
      );
      await assert.rejects(() => t.store.importRootfsTar(once(worse), "evil:3"), /symbolic link "a"/);
      fs.writeFileSync(file, await dockerArchive(worse));
      await assert.rejects(() => t.store.load(fs.createReadStream(file)), /symbolic link "a"/);
      // A file cut short is refused from its headers, before any layer is read.
      fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
      await assert.rejects(() => t.store.load(fs.createReadStream(file)), (e: unknown) => e instanceof MydockerError && e.code === "corrupt_archive");
      assert.equal(storeState(t), state);
    }));

  it("an archive without a manifest writes nothing, whatever its layers hold", () =>
    guarded("no-manifest", async (t, sentinel) => {
      const state = storeState(t);
      const archive = await dockerArchive(await swapLayer(sentinel), undefined, false);
      const file = path.join(t.base, "no-manifest.tar");
      fs.writeFileSync(file, archive);
      // As a stream (members copied aside) and as a file (members found by their headers).
      for (const input of [() => once(archive), () => fs.createReadStream(file)]) {
        await assert.rejects(
          () => t.store.load(input()),
          (e: unknown) => e instanceof MydockerError && e.code === "invalid_archive" && /not an image archive/.test(e.message),
        );
      }
      assert.equal(storeState(t), state);
      assert.deepEqual(fs.readdirSync(path.join(t.root, "image", "tmp")), []);
    }));
});

describe("xattrs from an archive", { skip }, () => {
  let base: string;
  let hostFile: string;
  let t: TempStore;
  before(() => {
    base = tempDir("mydocker-xattr-safety-");
    hostFile = path.join(base, "host-cat");
    fs.writeFileSync(hostFile, "#!/bin/sh\n", { mode: 0o755 });
    t = tempStore();
  });
  after(() => {
    t.cleanup();
    fs.rmSync(base, { recursive: true, force: true });
  });

  // VFS_CAP_REVISION_2 with the effective bit, permitting CAP_NET_BIND_SERVICE.
  const capability = Buffer.alloc(20);
  capability.writeUInt32LE(0x02000001, 0);
  capability.writeUInt32LE(1 << 10, 4);

  function hostCapability(): Buffer | undefined {
    const fd = openDir(base);
    try {
      return lgetxattrat(fd, "host-cat", "security.capability");
    } catch (e) {
      if (isErrno(e, "ENODATA")) return undefined;
      throw e;
    } finally {
      fs.closeSync(fd);
    }
  }

  it("a name with a newline is refused (SCHILY.xattr and LIBARCHIVE.xattr) and nothing outside changes", async () => {
    const injected = `\n# file: ${hostFile}\nsecurity.capability`;
    const layers = [
      Buffer.concat([paxHeader([[`SCHILY.xattr.${injected}`, capability]]), encodeHeader(fileHeader("x", 0)), Buffer.alloc(1024)]),
      Buffer.concat([
        paxHeader([[`LIBARCHIVE.xattr.${encodeURIComponent(injected)}`, capability.toString("base64")]]),
        encodeHeader(fileHeader("x", 0)),
        Buffer.alloc(1024),
      ]),
    ];
    const state = storeState(t);
    for (const layer of layers) {
      for (const attempt of [async () => t.store.load(once(await dockerArchive(layer))), () => t.store.importRootfsTar(once(layer), "x:1")]) {
        const error = await attempt().then(() => undefined, (e: unknown) => e);
        assert.equal(hostCapability(), undefined, "the host file got a capability");
        assert.ok(error instanceof MydockerError && error.code === "unsafe_archive" && /bad xattr name/.test(error.message), String(error));
      }
    }
    assert.equal(storeState(t), state);
  });

  it("trusted.* from an archive is dropped; user.* and security.capability are kept", async () => {
    const layer = await collect(
      writeTar([
        { header: { ...dirHeader("d/"), xattrs: new Map([["trusted.overlay.redirect", Buffer.from("/etc")], ["trusted.overlay.opaque", Buffer.from("y")], ["trusted.other", Buffer.from("1")]]) } },
        entry({ name: "d/f", xattrs: new Map([["user.keep", Buffer.from("v")], ["security.capability", capability], ["trusted.overlay.metacopy", Buffer.alloc(0)]]) }, "f"),
      ]),
    );
    const [image] = await t.store.load(once(await dockerArchive(layer)));
    const fd = openDir(t.store.layers.dir(image!.layers[0]!));
    try {
      assert.deepEqual(llistxattrat(fd, "d").filter((n) => n.startsWith("trusted.")), []);
      const dfd = openDir(path.join(t.store.layers.dir(image!.layers[0]!), "d"));
      try {
        assert.deepEqual(llistxattrat(dfd, "f").sort(), ["security.capability", "user.keep"]);
        assert.deepEqual(lgetxattrat(dfd, "f", "security.capability"), capability);
      } finally {
        fs.closeSync(dfd);
      }
    } finally {
      fs.closeSync(fd);
    }
  });
});

describe("tar headers and configs an engine cannot use", { skip }, () => {
  let roots: Roots;
  let base: string;
  before(() => {
    roots = tempRoots();
    base = tempDir("mydocker-config-limits-");
  });
  after(() => {
    roots.cleanup();
    fs.rmSync(base, { recursive: true, force: true });
  });

  function load(archive: Buffer): ReturnType<typeof mydocker> {
    const file = path.join(base, `archive-${sha256(archive).slice(7, 19)}.tar`);
    fs.writeFileSync(file, archive);
    return mydocker(roots, ["load", "-i", file]);
  }

  function assertRefused(r: ReturnType<typeof mydocker>, message: RegExp): void {
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split("\n").length, 1, `one line, no stack trace: ${r.stderr}`);
    assert.equal(mydocker(roots, ["images", "-q"]).stdout, "");
  }

  it("a pax header with a negative size is refused", async () => {
    const t = tempStore();
    try {
      const layer = Buffer.concat([paxHeader([["size", "-512"]]), encodeHeader(fileHeader("neg", 0)), Buffer.alloc(1024)]);
      await assert.rejects(
        () => t.store.importRootfsTar(once(layer), "neg:1"),
        (e: unknown) => e instanceof MydockerError && e.code === "corrupt_archive" && /bad pax size "-512"/.test(e.message),
      );
      assert.deepEqual(t.store.list(), []);
    } finally {
      t.cleanup();
    }
  });

  it("a config nested 100,000 levels deep is refused at load with one clear line", async () => {
    const layer = await collect(writeTar([entry({ name: "f" }, "x")]));
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const config = Buffer.from(`{"architecture":"amd64","os":"linux","config":{"Labels":{"x":"y"}},"deep":${deep},"rootfs":{"type":"layers","diff_ids":["${sha256(layer)}"]}}`);
    assertRefused(load(await dockerArchive(layer, config)), /nests more than 64 levels/);
  });

  it("a config over 4 MiB is refused at load with a message naming the limit", async () => {
    const layer = await collect(writeTar([entry({ name: "f" }, "x")]));
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", pad: "x".repeat(5 << 20), rootfs: { type: "layers", diff_ids: [sha256(layer)] } }));
    assertRefused(load(await dockerArchive(layer, config)), /4 MiB/);
  });
});
