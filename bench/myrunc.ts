// Issue 13: myrunc as the runtime binary, against runc and crun, in one run, the runtimes
// taking turns run by run (a machine others load drifts on all alike): `run` of the shared
// bundle; `state` of a created container (what containerd calls most; `node -e 0` beside
// it, the floor of any Node command); and `ctr run --rm IMAGE true` through a containerd of
// the benchmark's own, with each binary as the runc shim's runtime. Medians, CPU beside wall.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchContext } from "./context.js";
import { installed, mustRun, runSync, whyFailed } from "./exec.js";
import { timeOnce, type TimedCommand } from "./hyperfine.js";
import { inTurn } from "./report.js";

const MYRUNC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/myrunc");
const RUNTIMES = ["crun", "runc", "myrunc"] as const;
type Runtime = (typeof RUNTIMES)[number];
const IMAGE = `localhost/mydocker-bench-ctr-${process.pid}:latest`;
const CONTAINERD_DEADLINE_MS = 20_000;

export async function myrunc(ctx: BenchContext): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-bench-myrunc-"));
  const cgroupParent = path.basename(base);
  const binary: Record<Runtime, string> = { crun: "crun", runc: "runc", myrunc: MYRUNC };
  const stateRoot = (r: Runtime) => path.join(base, `${r}-state`);
  const missing = (r: Runtime) => (r === "myrunc" || installed(r) ? undefined : `${r} is not installed`);
  let daemon: ChildProcess | undefined;
  const undo = ctx.onCleanup(() => cleanup());
  function cleanup(): void {
    for (const r of RUNTIMES) {
      if (!fs.existsSync(stateRoot(r))) continue;
      for (const id of fs.readdirSync(stateRoot(r))) runSync([binary[r], "--root", stateRoot(r), "delete", "--force", id]);
    }
    if (daemon?.pid !== undefined && daemon.exitCode === null) daemon.kill("SIGKILL");
    for (const mp of mountsUnder(base)) runSync(["umount", "--lazy", mp]);
    removeCgroupTree(cgroupParent);
    fs.rmSync(base, { recursive: true, force: true });
  }
  try {
    for (const r of RUNTIMES) {
      const why = missing(r);
      if (why) console.log(`(${r} left out: ${why})`);
    }
    const subjects = RUNTIMES.filter((r) => !missing(r));
    // bin/myrunc starts from its snapshot only when that is newer than the code (a plain tsc
    // since the last `npm run build` leaves it running from ES modules: not what is shipped).
    const oci = path.resolve(path.dirname(MYRUNC), "../dist/src/oci-cli");
    const mtime = (f: string) => fs.statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    if (mtime(path.join(oci, "main.blob")) <= mtime(path.join(oci, "main.js"))) console.log("(warning: myrunc's startup snapshot is missing or older than its code: run `npm run build` first)");
    const table = new Table();
    const load = [os.loadavg()[0]];
    const runArgv = (r: Runtime, i: number) => [binary[r], "--root", stateRoot(r), "run", "--bundle", ctx.peers.bundle, `bench-run-${r}-${i}`];
    for (const r of subjects) for (let i = 0; i < ctx.warmup; i++) mustRun(runArgv(r, -1 - i));
    for (let i = 0; i < ctx.runs; i++) for (const r of inTurn(subjects, i)) table.add("run", r, timeOnce(runArgv(r, i)));

    // state of a container created once before (the init keeps the stdio it is given: not our pipes).
    for (const r of subjects) {
      const c = spawnSync(binary[r], ["--root", stateRoot(r), "create", "--bundle", ctx.peers.bundle, `bench-state-${r}`], { stdio: "ignore", timeout: 60_000 });
      if (c.status !== 0) throw new Error(`${r} create exited ${c.status ?? c.signal}`);
    }
    const floor = [process.execPath, "-e", "0"];
    for (let i = 0; i < ctx.runs; i++) {
      for (const r of inTurn(subjects, i)) table.add("state", r, timeOnce([binary[r], "--root", stateRoot(r), "state", `bench-state-${r}`]));
      table.add("state", "node -e 0", timeOnce(floor));
    }
    for (const r of subjects) runSync([binary[r], "--root", stateRoot(r), "delete", "--force", `bench-state-${r}`]);
    load.push(os.loadavg()[0]);

    let sock: string;
    try {
      ({ daemon, sock } = await startContainerd(base, ctx));
    } catch (e) {
      console.log(`(ctr left out: ${(e as Error).message})`);
      table.print(load);
      return;
    }
    const ctrArgv = (r: Runtime, id: string) => ["ctr", "--address", sock, "run", "--rm", "--runc-binary", binary[r], "--runc-root", stateRoot(r), "--cgroup", `/${cgroupParent}/${id}`, IMAGE, id, "true"];
    for (const r of subjects) for (let i = 0; i < ctx.warmup; i++) mustRun(ctrArgv(r, `bench-ctr-${r}-w${i}`));
    for (let i = 0; i < ctx.runs; i++) for (const r of inTurn(subjects, i)) table.add("ctr", r, timeOnce(ctrArgv(r, `bench-ctr-${r}-${i}`)));
    load.push(os.loadavg()[0]);
    table.print(load);
  } finally {
    cleanup();
    undo();
  }
}

/** containerd with its own root, state and sockets under base (CRI off), and the image imported from an archive the engine saved. */
const CASES = {
  run: { title: "`RUNTIME run` of the bundle (/bin/true) to exit", target: 2.0 },
  state: { title: "`RUNTIME state` of a created container", target: undefined },
  ctr: { title: "`ctr run --rm IMAGE true` under containerd 1.6's runc shim (CPU: ctr's own)", target: 1.5 },
} as const;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Wall and CPU samples per case and subject, taken in turns; printed as medians with ratios to runc. */
class Table {
  private readonly samples = new Map<string, Map<string, TimedCommand[]>>();

  add(c: keyof typeof CASES, subject: string, t: TimedCommand): void {
    const bySubject = this.samples.get(c) ?? new Map<string, TimedCommand[]>();
    this.samples.set(c, bySubject);
    bySubject.set(subject, [...(bySubject.get(subject) ?? []), t]);
  }

  print(load: number[]): void {
    console.log(`\nmyrunc: medians of runs taken in turns (load average ${load.map((l) => l?.toFixed(1)).join(" -> ")})`);
    for (const [c, bySubject] of this.samples) {
      const { title, target } = CASES[c as keyof typeof CASES];
      const wall = (s: string) => median((bySubject.get(s) ?? []).map((t) => t.mean));
      const runc = bySubject.has("runc") ? wall("runc") : undefined;
      console.log(`\n${title}\n\n| subject | wall (median) | min | CPU (median) | vs runc |\n|---|---|---|---|---|`);
      for (const [subject, ts] of bySubject) {
        const w = wall(subject);
        const cpu = median(ts.map((t) => t.cpuMs));
        const min = Math.min(...ts.map((t) => t.mean));
        console.log(`| ${subject} (n=${ts.length}) | ${w.toFixed(1)} ms | ${min.toFixed(1)} ms | ${cpu.toFixed(1)} ms | ${runc ? `${(w / runc).toFixed(2)}x` : "-"} |`);
      }
      if (target !== undefined && runc && bySubject.has("myrunc")) {
        const r = wall("myrunc") / runc;
        console.log(`\ntarget: myrunc <= ${target}x runc: ${r.toFixed(2)}x, ${r <= target ? "met" : "NOT met"}`);
      }
    }
  }
}

async function startContainerd(base: string, ctx: BenchContext): Promise<{ daemon: ChildProcess; sock: string }> {
  if (!installed("containerd") || !installed("ctr")) throw new Error("containerd and ctr are not installed");
  const dir = path.join(base, "containerd");
  fs.mkdirSync(dir);
  const sock = path.join(dir, "c.sock");
  const config = path.join(dir, "config.toml");
  fs.writeFileSync(
    config,
    ["version = 2", `root = "${dir}/root"`, `state = "${dir}/state"`, 'disabled_plugins = ["io.containerd.grpc.v1.cri"]', "[grpc]", `  address = "${sock}"`, "[ttrpc]", `  address = "${sock}.ttrpc"`, ""].join("\n"),
  );
  const daemon = spawn("containerd", ["--config", config], { stdio: ["ignore", "ignore", fs.openSync(path.join(dir, "containerd.log"), "w")] });
  const deadline = Date.now() + CONTAINERD_DEADLINE_MS;
  while (runSync(["ctr", "--address", sock, "version"]).status !== 0) {
    if (Date.now() > deadline || daemon.exitCode !== null) throw new Error(`containerd did not serve ${sock} (see ${dir}/containerd.log)`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const tar = path.join(base, "rootfs.tar");
  const archive = path.join(base, "image.tar");
  mustRun(["tar", "-C", path.join(path.dirname(ctx.peers.bundle), "rootfs"), "-cf", tar, "."]);
  const md = ctx.mydocker;
  for (const args of [["import", tar, IMAGE], ["save", "-o", archive, IMAGE], ["rmi", IMAGE]]) {
    const r = runSync(md.cli(args), md.env);
    if (r.status !== 0) throw new Error(`mydocker ${args[0]}: ${whyFailed(r)}`);
  }
  mustRun(["ctr", "--address", sock, "images", "import", archive]);
  return { daemon, sock };
}

function mountsUnder(base: string): string[] {
  return fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((mp): mp is string => mp !== undefined && mp.startsWith(`${base}/`))
    .sort((a, b) => b.length - a.length);
}

/** The run's parent cgroup, with whatever the runtimes left below it, in every hierarchy. */
function removeCgroupTree(name: string): void {
  const top = "/sys/fs/cgroup";
  for (const h of [top, ...fs.readdirSync(top).map((d) => path.join(top, d))]) {
    const dir = path.join(h, name);
    if (!fs.existsSync(dir)) continue;
    try {
      for (const sub of fs.readdirSync(dir, { withFileTypes: true })) if (sub.isDirectory()) fs.rmdirSync(path.join(dir, sub.name));
      fs.rmdirSync(dir);
    } catch {
      // Still busy, or not a hierarchy: left for the caller to see.
    }
  }
}
