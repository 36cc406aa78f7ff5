// `node dist/bench/build.js [--rounds N]`: `mydocker build` against `podman build`
// (buildah) on the same 10-step Dockerfile and context, in one run: a cold build
// (--no-cache), the same build fully cached, and a rebuild after one file of the context
// changed. Each is the median wall time of N rounds of the command line, printed as ratios.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { makeBusyboxRootfs } from "../test/helpers/busybox-rootfs.js";
import { podmanStore } from "../test/helpers/podman-store.js";
import { inTurn, PairedTable } from "./report.js";
import { msSince } from "./stats.js";

const BIN = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../bin/mydocker");

// Ten steps, no heredocs (buildah 1.28 has none): two COPYs, three RUNs, config steps.
const DOCKERFILE = [
  "FROM localhost/bench-busybox:latest",
  "ENV APP=/app",
  "WORKDIR /app",
  "COPY src/ /app/src/",
  "RUN cat /app/src/* > /app/all.txt",
  "COPY config.txt /app/",
  "RUN wc -l /app/all.txt /app/config.txt > /app/count",
  "RUN mkdir -p /data && echo hello > /data/x",
  "LABEL bench=build",
  'CMD ["cat", "/app/count"]',
].join("\n");

function must(command: string, args: string[], env?: NodeJS.ProcessEnv, input?: Buffer): void {
  const r = spawnSync(command, args, { env, input, stdio: [input ? "pipe" : "ignore", "ignore", "pipe"], encoding: "buffer", maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${r.stderr?.toString() ?? r.error?.message}`);
}

function timed(command: string, args: string[], env?: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  must(command, args, env);
  return msSince(start);
}

interface Subject {
  name: string;
  build(extra: string[]): number;
}

export function buildBench(rounds = 5): void {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-bench-build-"));
  const podmanArgs = [...podmanStore(path.join(base, "podman")), "--runtime", "runc"];
  const cgroupParent = path.basename(base);
  const env = { ...process.env, MYDOCKER_ROOT: path.join(base, "root"), MYDOCKER_RUNROOT: path.join(base, "run"), MYDOCKER_CGROUP_PARENT: cgroupParent };
  try {
    const rootfs = path.join(base, "rootfs");
    makeBusyboxRootfs(rootfs);
    const tar = spawnSync("tar", ["-C", rootfs, "-c", "."], { maxBuffer: 1 << 28 }).stdout;
    must("podman", [...podmanArgs, "import", "-", "localhost/bench-busybox:latest"], undefined, tar);
    must(BIN, ["import", "-", "localhost/bench-busybox:latest"], env, tar);
    const ctx = path.join(base, "ctx");
    fs.mkdirSync(path.join(ctx, "src"), { recursive: true });
    for (let i = 0; i < 200; i++) fs.writeFileSync(path.join(ctx, "src", `f${i}.txt`), `file ${i}\n`.repeat(50));
    fs.writeFileSync(path.join(ctx, "config.txt"), "config 0\n");
    fs.writeFileSync(path.join(ctx, "Dockerfile"), DOCKERFILE);
    const subjects: Subject[] = [
      { name: "mydocker", build: (extra) => timed(BIN, ["build", "-q", "--network", "none", "-t", "bench/built", ...extra, ctx], env) },
      {
        name: "podman",
        build: (extra) =>
          timed("podman", [...podmanArgs, "build", "-q", "--pull=never", "--network", "none", "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768", "-t", "bench/built", ...extra, ctx]),
      },
    ];
    const table = new PairedTable("mydocker", "podman");
    const cases: { name: string; target: number; before?: (round: number) => void; extra: string[] }[] = [
      { name: "cold 10-step build (--no-cache)", target: 0.5, extra: ["--no-cache"] },
      { name: "the same build, fully cached", target: 0.3, extra: [] },
      { name: "rebuild after a one-file change", target: 0.5, extra: [], before: (round) => fs.writeFileSync(path.join(ctx, "config.txt"), `config ${round + 1}\n`) },
    ];
    for (const s of subjects) s.build([]); // warm-up: base image layers, caches of both
    for (let round = 0; round < rounds; round++) {
      for (const c of cases) {
        c.before?.(round);
        for (const s of inTurn(subjects, round)) table.add(c.name, s.name, s.build(c.extra), { unit: "ms", ratio: c.target });
      }
    }
    process.stdout.write(`build: median of ${rounds} rounds, wall time of the command line\n\n`);
    table.print();
  } finally {
    spawnSync("podman", [...podmanArgs, "system", "reset", "-f"], { stdio: "ignore" });
    spawnSync(BIN, ["rm", "-f", ...(spawnSync(BIN, ["ps", "-aq"], { env, encoding: "utf8" }).stdout ?? "").split("\n").filter(Boolean)], { env, stdio: "ignore" });
    for (const h of fs.readdirSync("/sys/fs/cgroup")) {
      const dir = path.join("/sys/fs/cgroup", h, cgroupParent);
      if (fs.existsSync(dir)) fs.rmdirSync(dir);
    }
    fs.rmSync(base, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({ options: { rounds: { type: "string", default: "5" } } });
  buildBench(Number(values.rounds));
}
