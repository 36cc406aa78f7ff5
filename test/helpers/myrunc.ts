// Running the real bin/myrunc over a busybox bundle in a temporary root, as containerd and
// conmon do: global flags first (--root, --log, --log-format json), then the command.
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { defaultSpec } from "../../src/runtime/index.js";
import type { Spec } from "../../src/spec/runtime.js";
import { makeBusyboxRootfs } from "./busybox-rootfs.js";
import { cgroupDirs, REPO, removeCgroupParent } from "./cli.js";

export const MYRUNC = path.join(REPO, "bin/myrunc");

export interface RuncEnv {
  base: string;
  root: string;
  log: string;
  /** The parent cgroup of the suite's containers, removed by cleanup. */
  cgroupParent: string;
  /** A bundle dir with a busybox rootfs and config.json from spec (args, change). */
  bundle(name: string, args: string[], change?: (s: Spec) => void): string;
  /**
   * Runs myrunc to its end. detached: its stdout and stderr are files (read back into the
   * result), since a container it leaves running holds them, as runc's would.
   */
  myrunc(args: string[], opts?: { input?: string; detached?: boolean; withoutNode?: boolean }): SpawnSyncReturns<string>;
  /** The msg of each error line of the --log file. */
  errors(): string[];
  cleanup(): void;
}

export function runcEnv(prefix: string): RuncEnv {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const root = path.join(base, "state");
  const log = path.join(base, "log.json");
  const rootfs = path.join(base, "rootfs");
  makeBusyboxRootfs(rootfs);
  const cgroupParent = path.basename(base);
  const env: RuncEnv = {
    base,
    root,
    log,
    cgroupParent,
    bundle(name, args, change) {
      const dir = path.join(base, name);
      fs.mkdirSync(dir);
      const s = defaultSpec();
      s.process!.args = args;
      s.root = { path: rootfs, readonly: false };
      s.linux!.cgroupsPath = `${cgroupParent}/${name}`;
      change?.(s);
      fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(s));
      return dir;
    },
    myrunc(args, opts = {}) {
      const argv = ["--root", root, "--log", log, "--log-format", "json", ...args];
      // withoutNode: a PATH where bin/myrunc finds no node, so only what it does without node can succeed.
      const spawnEnv = opts.withoutNode ? { ...process.env, PATH: path.join(base, "no-such-dir") } : process.env;
      if (!opts.detached) return spawnSync(MYRUNC, argv, { encoding: "utf8", input: opts.input, timeout: 60_000, killSignal: "SIGKILL", env: spawnEnv });
      const files = [path.join(base, "out"), path.join(base, "err")];
      const fds = files.map((f) => fs.openSync(f, "w"));
      try {
        const r = spawnSync(MYRUNC, argv, { encoding: "utf8", stdio: ["ignore", fds[0]!, fds[1]!], timeout: 60_000, killSignal: "SIGKILL", env: spawnEnv });
        const [stdout = "", stderr = ""] = files.map((f) => fs.readFileSync(f, "utf8"));
        return { ...r, stdout, stderr, output: [null, stdout, stderr] };
      } finally {
        for (const fd of fds) fs.closeSync(fd);
      }
    },
    errors() {
      if (!fs.existsSync(log)) return [];
      return fs
        .readFileSync(log, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { level: string; msg: string; time: string })
        .filter((l) => l.level === "error")
        .map((l) => l.msg);
    },
    cleanup() {
      const ids = fs.existsSync(root) ? fs.readdirSync(root).filter((e) => !e.startsWith(".")) : [];
      for (const id of ids) env.myrunc(["delete", "--force", id]);
      // Callers make cgroups of their own under it (conmon's): the deepest go first.
      for (const dir of cgroupDirs(cgroupParent)) removeEmptyTree(dir);
      removeCgroupParent(cgroupParent);
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
  return env;
}

/** Starts myrunc in the background (a foreground run), its output collected. */
export function spawnMyrunc(env: RuncEnv, args: string[], stdio: ("pipe" | "ignore" | number)[] = ["ignore", "pipe", "pipe"]) {
  return spawn(MYRUNC, ["--root", env.root, "--log", env.log, "--log-format", "json", ...args], { stdio });
}

/** The parent pid of pid, from /proc. */
export function parentOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

export function commOf(pid: number): string {
  return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
}

/** Whether `tool --version` runs here. */
export function installed(tool: string): boolean {
  return spawnSync(tool, ["--version"], { stdio: "ignore" }).status === 0;
}

/** rmdir of every directory under dir, deepest first (a cgroup tree whose processes are gone). */
function removeEmptyTree(dir: string): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    removeEmptyTree(path.join(dir, e.name));
    try {
      fs.rmdirSync(path.join(dir, e.name));
    } catch {
      // Still in use: the suite's own assertions say why.
    }
  }
}
