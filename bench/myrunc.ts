// Issue 13: myrunc as the runtime binary, against runc and crun, in one run: `run` of the
// shared bundle; `state` of a created container (what containerd calls most, which must
// not pay for the engine or SQLite); and `ctr run --rm IMAGE true` through a containerd of
// the benchmark's own, with each binary as the runc shim's runtime.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchContext } from "./context.js";
import { installed, mustRun, runSync, whyFailed } from "./exec.js";
import { hyperfine } from "./hyperfine.js";
import { measure, printTable, printTarget, type Row } from "./report.js";

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
  const opts = { runs: ctx.runs, warmup: ctx.warmup };
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
    const timed = (r: Runtime, argv: () => string[]) => async () => {
      const why = missing(r);
      if (why) throw new Error(why);
      return hyperfine(argv(), opts);
    };
    const run: Row[] = [];
    for (const r of RUNTIMES) {
      run.push(await measure(r, timed(r, () => [binary[r], "--root", stateRoot(r), "run", "--bundle", ctx.peers.bundle, `bench-run-${r}`])));
    }
    printTable("myrunc: `RUNTIME run` of a bundle (/bin/true) to exit", "ms", run, ["crun", "runc"]);
    printTarget(run, "myrunc", "runc", 2.0);

    const state: Row[] = [];
    for (const r of RUNTIMES) {
      state.push(
        await measure(r, () => {
          const why = missing(r);
          if (why) throw new Error(why);
          const id = `bench-state-${r}`;
          // The created init keeps the stdio it was given: not our pipes, or this would wait for it.
          const c = spawnSync(binary[r], ["--root", stateRoot(r), "create", "--bundle", ctx.peers.bundle, id], { stdio: "ignore", timeout: 60_000 });
          if (c.status !== 0) throw new Error(`${r} create exited ${c.status ?? c.signal}`);
          try {
            return hyperfine([binary[r], "--root", stateRoot(r), "state", id], opts);
          } finally {
            runSync([binary[r], "--root", stateRoot(r), "delete", "--force", id]);
          }
        }),
      );
    }
    printTable("myrunc: `RUNTIME state` of a created container", "ms", state, ["crun", "runc"]);

    const ctr: Row[] = [];
    let sock: string | undefined;
    const ready = await measure("containerd", async () => {
      ({ daemon, sock } = await startContainerd(base, ctx));
      return { mean: 0, stddev: 0, runs: 1 };
    });
    for (const r of RUNTIMES) {
      ctr.push(
        await measure(r, async () => {
          if (!ready.outcome.ok) throw new Error(`containerd: ${ready.outcome.reason}`);
          const why = missing(r);
          if (why) throw new Error(why);
          const id = `bench-ctr-${r}`;
          const argv = ["ctr", "--address", sock!, "run", "--rm", "--runc-binary", binary[r], "--runc-root", stateRoot(r), "--cgroup", `/${cgroupParent}/${id}`, IMAGE, id, "true"];
          return hyperfine(argv, opts);
        }),
      );
    }
    printTable("myrunc: `ctr run --rm IMAGE true` with each runtime binary under containerd 1.6's runc shim", "ms", ctr, ["crun", "runc"]);
    printTarget(ctr, "myrunc", "runc", 1.5);
  } finally {
    cleanup();
    undo();
  }
}

/** containerd with its own root, state and sockets under base (CRI off), and the image imported from an archive the engine saved. */
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
