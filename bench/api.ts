// `node dist/bench/api.js [--runs N] [--containers N] [--concurrent N]`: the real docker CLI
// against `mydocker serve` and against `podman system service`, the same busybox image in
// both, in one run, in turns:
//   1. `docker run --rm IMAGE true` on the default bridge network, and with --network none;
//   2. `docker ps -a` beside N created containers (100);
//   3. N concurrent `docker run -d IMAGE sleep` (20), to the last one's exit.
// Each daemon has its own roots and socket in a temporary directory; both are stopped and
// their containers removed at the end.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { makeBusyboxRootfs } from "../test/helpers/busybox-rootfs.js";
import { podmanStore } from "../test/helpers/podman-store.js";
import { inTurn, PairedTable } from "./report.js";
import { msSince } from "./stats.js";

const BIN = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../bin/mydocker");
const IMAGE = "localhost/bench-busybox:latest";

interface Daemon {
  name: string;
  env: NodeJS.ProcessEnv;
  proc: ChildProcess;
}

function docker(d: Daemon, args: string[]): string {
  const r = spawnSync("docker", args, { env: d.env, encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${d.name}: docker ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** Runs docker args once and gives the wall time in ms. */
function timed(d: Daemon, args: string[]): number {
  const start = process.hrtime.bigint();
  docker(d, args);
  return msSince(start);
}

/** n `docker ARGS` at once; the wall time until the last exited. */
async function concurrently(d: Daemon, n: number, args: string[]): Promise<number> {
  const start = process.hrtime.bigint();
  const codes = await Promise.all(
    Array.from({ length: n }, () => new Promise<number | null>((resolve) => spawn("docker", args, { env: d.env, stdio: "ignore" }).on("close", resolve))),
  );
  const ms = msSince(start);
  if (codes.some((c) => c !== 0)) throw new Error(`${d.name}: ${codes.filter((c) => c !== 0).length} of ${n} docker ${args[0]} failed`);
  return ms;
}

async function waitForSocket(d: Daemon, socket: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (d.proc.exitCode !== null) throw new Error(`${d.name}'s daemon exited with ${d.proc.exitCode}`);
    const up = await new Promise<boolean>((resolve) => net.connect(socket).on("connect", function (this: net.Socket) {
      this.destroy();
      resolve(true);
    }).on("error", () => resolve(false)));
    if (up) return;
    await sleep(50);
  }
  throw new Error(`${d.name}'s daemon did not listen on ${socket}`);
}

/** Removes every container; a removal the daemon could not finish (podman here: "shm: device or resource busy") is tried again, three times at most. */
function removeAll(d: Daemon): void {
  for (let attempt = 1; ; attempt++) {
    const ids = docker(d, ["ps", "-aq"]).split("\n").filter(Boolean);
    if (ids.length === 0) return;
    try {
      docker(d, ["rm", "-f", ...ids]);
      return;
    } catch (e) {
      if (attempt === 3) throw e;
    }
  }
}

export async function apiBench(runs = 15, containers = 100, concurrent = 20): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-bench-api-"));
  const cgroupParent = path.basename(base);
  const mdEnv = { ...process.env, MYDOCKER_ROOT: path.join(base, "root"), MYDOCKER_RUNROOT: path.join(base, "run"), MYDOCKER_CGROUP_PARENT: cgroupParent };
  const podmanArgs = podmanStore(path.join(base, "podman"));
  // These hosts' hard rlimits are below podman's defaults, and crun refuses their hybrid cgroups (PEERS.md).
  const conf = path.join(base, "containers.conf");
  fs.writeFileSync(conf, '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\nruntime = "runc"\n');
  const podmanEnv = { ...process.env, CONTAINERS_CONF: conf };
  const daemons: Daemon[] = [];
  try {
    const rootfs = path.join(base, "rootfs");
    makeBusyboxRootfs(rootfs);
    const tar = spawnSync("tar", ["-C", rootfs, "-c", "."], { maxBuffer: 1 << 28 }).stdout;
    for (const [cmd, args, env] of [
      [BIN, ["import", "-", IMAGE], mdEnv],
      ["podman", [...podmanArgs, "import", "-", IMAGE], podmanEnv],
    ] as const) {
      const r = spawnSync(cmd, args, { env, input: tar, encoding: "utf8" });
      if (r.status !== 0) throw new Error(`${cmd} import: ${r.stderr}`);
    }
    const mdSock = path.join(base, "mydocker.sock");
    const pmSock = path.join(base, "podman.sock");
    const cli = (socket: string) => ({ ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: path.join(base, "docker-config") });
    daemons.push({ name: "mydocker", env: cli(mdSock), proc: spawn(BIN, ["serve", "-H", `unix://${mdSock}`], { env: mdEnv, stdio: "ignore" }) });
    daemons.push({ name: "podman", env: cli(pmSock), proc: spawn("podman", [...podmanArgs, "system", "service", "--time", "0", `unix://${pmSock}`], { env: podmanEnv, stdio: "ignore" }) });
    await waitForSocket(daemons[0]!, mdSock);
    await waitForSocket(daemons[1]!, pmSock);
    const table = new PairedTable("mydocker", "podman");
    // Warm-up: each side's default network, bridge and caches.
    for (const d of daemons) for (let i = 0; i < 2; i++) docker(d, ["run", "--rm", IMAGE, "true"]);
    for (let i = 0; i < runs; i++) {
      for (const d of inTurn(daemons, i)) {
        table.add("docker run --rm busybox true (default bridge)", d.name, timed(d, ["run", "--rm", IMAGE, "true"]), { unit: "ms", ratio: 0.5 });
        table.add("docker run --rm --network none busybox true", d.name, timed(d, ["run", "--rm", "--network", "none", IMAGE, "true"]), { unit: "ms", ratio: 0.5 });
      }
    }
    for (const d of daemons) for (let i = 0; i < containers; i++) docker(d, ["create", "--network", "none", IMAGE, "true"]);
    for (let i = 0; i < runs; i++) {
      for (const d of inTurn(daemons, i)) table.add(`docker ps -a (${containers} containers)`, d.name, timed(d, ["ps", "-a"]), { unit: "ms", ratio: 0.5 });
    }
    for (const d of daemons) removeAll(d);
    for (let i = 0; i < 3; i++) {
      for (const d of inTurn(daemons, i)) {
        table.add(`${concurrent} concurrent docker run -d (default bridge)`, d.name, await concurrently(d, concurrent, ["run", "-d", IMAGE, "sleep", "600"]), { unit: "ms", ratio: 0.5 });
        removeAll(d);
      }
    }
    process.stdout.write(`api: medians (run: ${runs} runs each; ps: ${runs}; concurrent: 3 rounds), the docker CLI ${docker(daemons[0]!, ["version", "--format", "{{.Client.Version}}"])} against each daemon\n\n`);
    table.print();
  } finally {
    for (const d of daemons) {
      try {
        removeAll(d);
      } catch {
        // The daemon is gone: its containers are removed below.
      }
      d.proc.kill("SIGTERM");
    }
    await Promise.all(daemons.map((d) => (d.proc.exitCode !== null ? undefined : new Promise((r) => d.proc.once("exit", r)))));
    spawnSync("podman", [...podmanArgs, "rm", "-af"], { env: podmanEnv, stdio: "ignore" });
    spawnSync("podman", [...podmanArgs, "system", "reset", "-f"], { env: podmanEnv, stdio: "ignore" });
    const left = (spawnSync(BIN, ["ps", "-aq"], { env: mdEnv, encoding: "utf8" }).stdout ?? "").split("\n").filter(Boolean);
    if (left.length) spawnSync(BIN, ["rm", "-f", ...left], { env: mdEnv, stdio: "ignore" });
    // The default bridge's pool and teardowns still in exit commands: released, waited for.
    spawnSync(BIN, ["network", "prune", "-f"], { env: mdEnv, stdio: "ignore" });
    for (const h of fs.readdirSync("/sys/fs/cgroup")) {
      const dir = path.join("/sys/fs/cgroup", h, cgroupParent);
      if (fs.existsSync(dir)) fs.rmdirSync(dir);
    }
    fs.rmSync(base, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "15" }, containers: { type: "string", default: "100" }, concurrent: { type: "string", default: "20" } } });
  await apiBench(Number(values.runs), Number(values.containers), Number(values.concurrent));
}
