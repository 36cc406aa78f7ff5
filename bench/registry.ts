// `node dist/bench/registry.js [--mb 600]`: images at registry scale, in one run against
// the peers, on docker-registry on loopback (plain HTTP):
//   push of a one-layer image of MB megabytes: mydocker push against skopeo copy (wall
//   time and peak RSS, from /usr/bin/time);
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

const f = (n: number, digits = 1) => n.toFixed(digits);

export async function registryBench(mb = 600): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-bench-registry-"));
  const registry = await startRegistry(path.join(base, "registry"));
  const roots = (name: string): NodeJS.ProcessEnv => ({
    ...process.env,
    MYDOCKER_ROOT: path.join(base, name, "root"),
    MYDOCKER_RUNROOT: path.join(base, name, "run"),
    MYDOCKER_CGROUP_PARENT: `mydocker-bench-${name}`,
    MYDOCKER_CONFIG_FILE: path.join(base, "none.json"),
    DOCKER_CONFIG: path.join(base, "docker"),
  });
  const md = [process.execPath, "--", BIN];
  const podman = ["podman", "--root", path.join(base, "podman/root"), "--runroot", path.join(base, "podman/run"), "--storage-driver", "overlay"];
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

    const push = measured([...md, "push", ref], src);
    const skopeo = measured(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", `docker-archive:${archive}`, `docker://${registry.host}/skopeo/img:1`]);

    const pull = measured([...md, "pull", ref], roots("pull"));
    const podmanPull = measured([...podman, "pull", "--quiet", "--tls-verify=false", ref]);

    const loader = roots("load");
    const firstLoad = measured([...md, "load", "-i", archive], loader);
    const reload = measured([...md, "load", "-i", archive], loader);

    console.log(`registry: one layer of ${mb} MB (half random), docker-registry on loopback, ${os.availableParallelism()} cores`);
    console.log(`| work | mydocker s | peer s | ratio | mydocker peak RSS MB | peer peak RSS MB |`);
    console.log(`|---|---|---|---|---|---|`);
    console.log(`| push (peer: skopeo copy) | ${f(push.seconds, 2)} | ${f(skopeo.seconds, 2)} | ${f(push.seconds / skopeo.seconds, 2)} | ${f(push.peakMb)} | ${f(skopeo.peakMb)} |`);
    console.log(`| pull (peer: podman pull) | ${f(pull.seconds, 2)} | ${f(podmanPull.seconds, 2)} | ${f(pull.seconds / podmanPull.seconds, 2)} | ${f(pull.peakMb)} | ${f(podmanPull.peakMb)} |`);
    console.log(`| load again (peer: first load) | ${f(reload.seconds, 2)} | ${f(firstLoad.seconds, 2)} | ${f(reload.seconds / firstLoad.seconds, 2)} | ${f(reload.peakMb)} | ${f(firstLoad.peakMb)} |`);
  } finally {
    registry.stop();
    spawnSync(podman[0]!, [...podman.slice(1), "system", "reset", "--force"], { stdio: "ignore" });
    fs.rmSync(base, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({ options: { mb: { type: "string", default: "600" } } });
  await registryBench(Number(values.mb));
}
