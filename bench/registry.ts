// `node dist/bench/registry.js [--mb 600] [--rounds 3]`: images at registry scale, in one
// run against the peers, on docker-registry on loopback (plain HTTP), ROUNDS rounds with
// the subjects in turns (bench/report.ts inTurn), medians printed:
//   push of a one-layer image of MB megabytes: mydocker push against skopeo copy (wall
//   time and peak RSS, from /usr/bin/time), the registry emptied before each;
//   pull of it: mydocker pull against podman pull, each into empty storage;
//   load of its archive again into a store that has its layer, against the first load.
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startRegistry } from "../test/helpers/registry.js";
import { podmanStore } from "../test/helpers/podman-store.js";
import { inTurn, PairedTable } from "./report.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = path.join(REPO, "bin/mydocker");
const MB = 1 << 20;

interface Measure {
  seconds: number;
  peakMb: number;
}

/** Runs argv under /usr/bin/time: wall seconds and peak RSS (of the largest process). */
function measured(argv: string[], env: NodeJS.ProcessEnv = process.env): Measure {
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M", ...argv], { env, encoding: "utf8", stdio: ["ignore", "ignore", "pipe"], maxBuffer: 64 * MB });
  const last = r.stderr.trim().split("\n").pop() ?? "";
  if (r.status !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr.slice(-2000)}`);
  const [seconds, kb] = last.split(" ").map(Number);
  return { seconds: seconds!, peakMb: kb! / 1024 };
}

function run(argv: string[], env: NodeJS.ProcessEnv = process.env): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { env, encoding: "utf8", stdio: ["ignore", "ignore", "pipe"] });
  if (r.status !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr.slice(-2000)}`);
}

/** A file of mb megabytes, half random and half repetitive (as real layers compress: ~2:1). */
function writeContent(file: string, mb: number): void {
  const fd = fs.openSync(file, "w");
  try {
    for (let i = 0; i < mb; i++) fs.writeSync(fd, i % 2 === 0 ? crypto.randomBytes(MB) : Buffer.alloc(MB, i % 251));
  } finally {
    fs.closeSync(fd);
  }
}

/** Peak RSS of each subject of each case, the highest of its rounds. */
class PeakTable {
  private readonly peaks = new Map<string, number>();

  add(name: string, subject: string, mb: number): void {
    const key = `${name}\u0000${subject}`;
    this.peaks.set(key, Math.max(this.peaks.get(key) ?? 0, mb));
  }

  print(cases: { name: string; peer: string }[]): void {
    process.stdout.write(`| case | mydocker peak RSS | peer peak RSS |\n|---|---|---|\n`);
    for (const c of cases) {
      process.stdout.write(`| ${c.name} | ${this.peaks.get(`${c.name}\u0000mydocker`)?.toFixed(1)} MB | ${this.peaks.get(`${c.name}\u0000${c.peer}`)?.toFixed(1)} MB |\n`);
    }
  }
}

export async function registryBench(mb = 600, rounds = 3): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-bench-registry-"));
  const registryDir = path.join(base, "registry");
  const registry = await startRegistry(registryDir);
  const roots = (name: string): NodeJS.ProcessEnv => ({
    ...process.env,
    MYDOCKER_ROOT: path.join(base, name, "root"),
    MYDOCKER_RUNROOT: path.join(base, name, "run"),
    MYDOCKER_CGROUP_PARENT: `mydocker-bench-${name}`,
    MYDOCKER_CONFIG_FILE: path.join(base, "none.json"),
    DOCKER_CONFIG: path.join(base, "docker"),
  });
  const md = [BIN];
  const podman = (round: number) => ["podman", ...podmanStore(path.join(base, `podman-${round}`))];
  /** The registry's storage emptied: each push uploads its layer. */
  const emptyRegistry = (): void => fs.rmSync(path.join(registryDir, "storage"), { recursive: true, force: true });
  const cases = { push: `push of ${mb} MB`, pull: `pull of ${mb} MB`, load: "load of the same archive again" };
  const times = new PairedTable("mydocker", "peer");
  const peaks = new PeakTable();
  const record = (name: string, subject: string, peer: string, m: Measure, ratio: number): void => {
    times.add(name, subject === "mydocker" ? "mydocker" : "peer", m.seconds * 1000, { unit: "ms", ratio });
    peaks.add(name, subject === "mydocker" ? "mydocker" : peer, m.peakMb);
  };
  try {
    const rootfs = path.join(base, "rootfs");
    fs.mkdirSync(rootfs);
    writeContent(path.join(rootfs, "blob"), mb);
    const src = roots("src");
    const ref = `${registry.host}/bench/img:1`;
    run(["sh", "-c", `tar -C "${rootfs}" -cf "${base}/rootfs.tar" . && rm -rf "${rootfs}"`]);
    run([...md, "import", path.join(base, "rootfs.tar"), ref], src);
    fs.rmSync(path.join(base, "rootfs.tar"));
    const archive = path.join(base, "img.tar");
    run([...md, "save", "-o", archive, ref], src);

    for (let round = 0; round < rounds; round++) {
      for (const subject of inTurn(["mydocker", "skopeo"], round)) {
        emptyRegistry();
        const m =
          subject === "mydocker"
            ? measured([...md, "push", ref], src)
            : measured(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", `docker-archive:${archive}`, `docker://${ref}`]);
        record(cases.push, subject, "skopeo", m, 1.0);
      }
      // The image in the registry for the pulls, pushed by mydocker.
      emptyRegistry();
      run([...md, "push", "-q", ref], src);
      for (const subject of inTurn(["mydocker", "podman"], round)) {
        const m = subject === "mydocker" ? measured([...md, "pull", ref], roots(`pull-${round}`)) : measured([...podman(round), "pull", "--quiet", "--tls-verify=false", ref]);
        record(cases.pull, subject, "podman", m, 0.7);
      }
      const loader = roots(`load-${round}`);
      record(cases.load, "first load", "first load", measured([...md, "load", "-i", archive], loader), 0.1);
      record(cases.load, "mydocker", "first load", measured([...md, "load", "-i", archive], loader), 0.1);
      fs.rmSync(path.join(base, `load-${round}`), { recursive: true, force: true });
    }

    const load = os.loadavg().map((l) => l.toFixed(1)).join(" ");
    console.log(`registry: one layer of ${mb} MB (half random), docker-registry on loopback, ${os.availableParallelism()} cores, ${rounds} rounds in turns, medians; load average at the end ${load}`);
    console.log("peers: push skopeo copy docker-archive: -> registry; pull podman pull; load again the first load of the same archive\n");
    times.print();
    console.log("");
    peaks.print([
      { name: cases.push, peer: "skopeo" },
      { name: cases.pull, peer: "podman" },
      { name: cases.load, peer: "first load" },
    ]);
  } finally {
    registry.stop();
    for (let round = 0; round < rounds; round++) spawnSync("podman", [...podman(round).slice(1), "system", "reset", "--force"], { stdio: "ignore" });
    fs.rmSync(base, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({ options: { mb: { type: "string", default: "600" }, rounds: { type: "string", default: "3" } } });
  await registryBench(Number(values.mb), Number(values.rounds));
}
