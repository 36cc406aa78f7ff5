// An image of 128 layers runs: far past the ~40 that overlayfs' lowerdir= holds in the
// one page mount(2) copies. Both ways: the overlay plan record (lowerdir+ through fsconfig,
// Linux 6.8+), and the short links of older kernels, asked for on this one.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { dirHeader, fileHeader, writeTar, type TarEntry } from "../../src/image/tar/writer.js";
import { hasLowerdirPlus, kernelVersion } from "../../src/engine/containers/overlay-mount.js";
import { makeBusyboxRootfs } from "../helpers/busybox-rootfs.js";
import { NOT_ROOT, isRoot, mydocker, tempRoots, type Roots } from "../helpers/cli.js";

const Layers = 128;
const skip = !isRoot() ? NOT_ROOT : false;

let roots: Roots;
let work: string;

async function tar(entries: TarEntry[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of writeTar(entries)) parts.push(c);
  return Buffer.concat(parts);
}

before(() => {
  if (skip) return;
  roots = tempRoots("mydocker-deep-");
  work = path.dirname(roots.root);
});

after(() => roots?.cleanup());

/** A docker-archive of Layers layers: busybox, then one file each, /top replaced by each, the first one's file deleted by the last. */
async function deepArchive(file: string): Promise<void> {
  const rootfs = path.join(work, "rootfs");
  makeBusyboxRootfs(rootfs);
  const layerTars: Buffer[] = [execFileSync("tar", ["-C", rootfs, "-c", "."], { maxBuffer: 64 << 20 })];
  for (let i = 1; i < Layers; i++) {
    const own = Buffer.from(`${i}\n`);
    const entries: TarEntry[] = [
      { header: dirHeader("layers/") },
      { header: fileHeader(`layers/${i}`, own.length), body: own },
      // Each layer replaces /top: the topmost one must win.
      { header: fileHeader("top", own.length), body: own },
    ];
    // The last layer deletes the first one's file: its whiteout must sit above it.
    if (i === Layers - 1) entries.push({ header: fileHeader("layers/.wh.1", 0), body: Buffer.alloc(0) });
    layerTars.push(await tar(entries));
  }
  const diffIds = layerTars.map((t) => `sha256:${crypto.createHash("sha256").update(t).digest("hex")}`);
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: { Cmd: ["sh"], Env: ["PATH=/bin"] }, rootfs: { type: "layers", diff_ids: diffIds } }));
  const manifest = Buffer.from(JSON.stringify([{ Config: "config.json", RepoTags: ["deep:1"], Layers: layerTars.map((_, i) => `${i}/layer.tar`) }]));
  const members: TarEntry[] = [
    { header: fileHeader("manifest.json", manifest.length), body: manifest },
    { header: fileHeader("config.json", config.length), body: config },
    ...layerTars.map((t, i) => ({ header: fileHeader(`${i}/layer.tar`, t.length), body: t })),
  ];
  fs.writeFileSync(file, await tar(members));
}

/** Runs deep:1 with env's engine settings: each layer in its place, in a run and through cp; the root mount's options. */
function runsDeep(env: NodeJS.ProcessEnv, copyTo: string): string {
  const as = { ...roots, env: { ...roots.env, ...env } };
  const r = mydocker(as, ["run", "--rm", "deep:1", "sh", "-c", "ls /layers | wc -l; cat /top; cat /layers/2 /layers/127; test -e /layers/1 || echo gone; grep ' / / ' /proc/self/mountinfo"]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split("\n");
  assert.equal(lines.slice(0, 5).join("\n"), `${Layers - 2}\n${Layers - 1}\n2\n127\ngone`);

  // Its files are the same through the engine's own view of the layers (cp out of a stopped container).
  const created = mydocker(as, ["create", "deep:1"]);
  assert.equal(created.status, 0, created.stderr);
  const copied = mydocker(as, ["cp", `${created.stdout.trim()}:/top`, copyTo]);
  assert.equal(copied.status, 0, copied.stderr);
  assert.equal(fs.readFileSync(copyTo, "utf8"), `${Layers - 1}\n`);
  assert.equal(mydocker(as, ["rm", created.stdout.trim()]).status, 0);
  return lines[5] ?? "";
}

test(`an image of ${Layers} layers loads and runs, each layer in its place`, { skip }, async (t) => {
  const archive = path.join(work, "deep.tar");
  await deepArchive(archive);
  const loaded = mydocker(roots, ["load", "-i", archive], { timeout: 120_000 });
  assert.equal(loaded.status, 0, loaded.stderr);
  runsDeep({}, path.join(work, "top"));
  // Which way it was mounted, for whoever reads the test's output.
  t.diagnostic(hasLowerdirPlus(kernelVersion()) ? "mounted with lowerdir+ (the overlay record)" : "mounted through short links (kernel before 6.8)");
});

test(`an image of ${Layers} layers runs through short layer links, as on kernels before lowerdir+`, { skip }, () => {
  if (mydocker(roots, ["image", "inspect", "deep:1"]).status !== 0) assert.fail("the first test loads deep:1");
  const root = runsDeep({ MYDOCKER_OVERLAY_SHORT_LINKS: "1" }, path.join(work, "top-links"));
  // The root really is the overlay of relative short names, not the layers' full paths.
  assert.match(root, /lowerdir=[^,]*l\/[0-9a-f]{16}:l\/[0-9a-f]{16}:/, root);
  assert.doesNotMatch(root, /image\/layers\/[0-9a-f]{64}/, root);
  const links = fs.readdirSync(path.join(roots.root, "image", "layers", "l"));
  assert.equal(links.length, Layers, "one link per layer");
});
