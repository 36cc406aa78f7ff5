// `node dist/bench/load.js [--rounds N]`: load of a ~200 MB multi-layer docker-archive
// by mydocker's image store and by `podman load` of the same file, and layer extraction
// by mydocker against GNU `tar -x`, printed as ratios (median of N rounds, same run).
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { ImageStore } from "../src/image/index.js";
import { makeWorkDir, removeWorkDir } from "../src/image/workdir.js";
import { openDb } from "../src/store/db.js";
import { podmanStore } from "../test/helpers/podman-store.js";

const MB = 1 << 20;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Layer contents: a few large files (half random, half repetitive) and many small ones. */
function fillLayer(dir: string, index: number, bigFiles: number, smallFiles: number): void {
  fs.mkdirSync(path.join(dir, `layer${index}/small`), { recursive: true });
  for (let i = 0; i < bigFiles; i++) {
    const random = crypto.randomBytes(10 * MB);
    fs.writeFileSync(path.join(dir, `layer${index}/big${i}`), Buffer.concat([random, Buffer.alloc(10 * MB, i)]));
  }
  for (let i = 0; i < smallFiles; i++) {
    fs.writeFileSync(path.join(dir, `layer${index}/small/f${i}`), crypto.randomBytes(1024 + (i % 16) * 1024));
  }
}

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function run(command: string, args: string[]): void {
  const r = spawnSync(command, args, { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${r.stderr}`);
}

export async function load(rounds = 3): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-bench-load-"));
  try {
    // The archive: four layers, ~200 MB, made with the store itself (commit of upper dirs).
    const makerDb = openDb(path.join(base, "maker"));
    const maker = new ImageStore(makerDb, path.join(base, "maker"));
    let image = undefined as Awaited<ReturnType<ImageStore["commitLayer"]>> | undefined;
    for (const [i, big, small] of [[0, 2, 3000], [1, 3, 500], [2, 3, 2000], [3, 1, 4000]] as const) {
      const upper = path.join(base, `upper${i}`);
      fillLayer(upper, i, big, small);
      image = await maker.commitLayer(upper, image, {}, i === 3 ? "bench/load:1" : undefined);
      fs.rmSync(upper, { recursive: true });
    }
    const archive = path.join(base, "archive.tar");
    await maker.save(["bench/load:1"], fs.createWriteStream(archive));
    const size = fs.statSync(archive).size;
    console.log(`archive: ${(size / MB).toFixed(0)} MB, ${image!.layers.length} layers`);

    const ours: number[] = [];
    const podman: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const root = path.join(base, `ours${r}`);
      const db = openDb(root);
      const store = new ImageStore(db, root);
      ours.push(await timed(() => store.load(fs.createReadStream(archive))));
      db.close();
      fs.rmSync(root, { recursive: true, force: true });

      const p = path.join(base, `p${r}`);
      const args = podmanStore(p);
      podman.push(await timed(() => run("podman", [...args, "load", "-q", "-i", archive])));
      spawnSync("podman", [...args, "system", "reset", "-f"], { stdio: "ignore" });
      fs.rmSync(p, { recursive: true, force: true });
    }
    const o = median(ours);
    const pm = median(podman);
    console.log(`load:    mydocker ${o.toFixed(0)} ms, podman load ${pm.toFixed(0)} ms, mydocker/podman = ${(o / pm).toFixed(2)}`);

    // Extraction of one layer tar: the store's stage (hash + tar-split + extract) vs tar -x.
    const layerTar = path.join(base, "layer.tar");
    const biggest = image!.layers[2]!;
    await pipeline(Readable.from(maker.layers.tar(biggest)), fs.createWriteStream(layerTar));
    const layerBytes = fs.statSync(layerTar).size;
    const oursX: number[] = [];
    const tarX: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const work = makeWorkDir(maker.imageRoot);
      oursX.push(await timed(() => maker.layers.stage(fs.createReadStream(layerTar), work)));
      removeWorkDir(work);
      const dest = path.join(base, `tar${r}`);
      fs.mkdirSync(dest);
      tarX.push(await timed(() => run("tar", ["--numeric-owner", "-p", "-C", dest, "-xf", layerTar])));
      fs.rmSync(dest, { recursive: true });
    }
    const rate = (ms: number): string => `${(layerBytes / MB / (ms / 1000)).toFixed(0)} MB/s`;
    const ox = median(oursX);
    const tx = median(tarX);
    makerDb.close();
    console.log(`extract: mydocker ${rate(ox)}, tar -x ${rate(tx)} (${(layerBytes / MB).toFixed(0)} MB layer), mydocker/tar time = ${(ox / tx).toFixed(2)}`);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({ options: { rounds: { type: "string", default: "3" } } });
  await load(Number(values.rounds));
}
