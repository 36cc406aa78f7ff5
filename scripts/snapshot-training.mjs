// The code cache mydocker's startup snapshot is built with (scripts/bundle.mjs): V8's code of
// every function a real `run -d -p` calls (scripts/code-cache-maker.cjs), so that a run from
// the snapshot compiles (almost) nothing: ~20 ms of such a run from a lazily compiled one.
// The run is real: as root, in roots of its own under the temporary directory, which it
// removes after, whatever happened (an interrupted build too; a killed one is cleaned up by
// the next build). Without it the snapshot is lazily compiled, as it always works.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const PREFIX = "mydocker-train-";
/** Older than this, a training root is a killed build's (a training takes seconds). */
const STALE_MS = 2 * 60_000;
const TIMEOUT_MS = 30_000;

/**
 * The cache file of a trained run of root's command line whose snapshot bundle is in dist
 * (its directory is the caller's to remove), or undefined, said why: not root, installed as
 * another package's dependency, MYDOCKER_SNAPSHOT_TRAIN=0, or the run failed (no netavark
 * yet, say).
 */
export function trainedCodeCache(root, dist) {
  const skip =
    process.env.MYDOCKER_SNAPSHOT_TRAIN === "0" ? "MYDOCKER_SNAPSHOT_TRAIN=0"
    : process.getuid?.() !== 0 ? "not root"
    : root.split(path.sep).includes("node_modules") ? "installed as a dependency"
    : !fs.existsSync(path.join(dist, "main.blob")) ? "no snapshot"
    : "";
  if (skip) return said(`${skip}`);
  for (const stale of staleRoots()) removeRoots(root, stale);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), PREFIX));
  const env = envOf(base);
  const cli = (args) => mydocker(root, env, args);
  const out = path.join(base, "run-d.cache");
  // A Ctrl-C reaches the runs too (the terminal's process group): what they were killed by
  // says so, the roots are removed all the same, then the build ends by that signal. A signal
  // to this process alone is heard once this synchronous work is through: it ends the build then.
  const onSignal = (sig) => {
    process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
    process.kill(process.pid, sig);
  };
  process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
  let interrupted;
  const checked = (r, what) => {
    if (r.signal === "SIGINT" || r.signal === "SIGTERM") interrupted = r.signal;
    if (r.status !== 0) throw new Error(`${what} failed: ${interrupted ? `interrupted (${interrupted})` : lastLine(r)}`);
    return r;
  };
  let why = "";
  try {
    // A first run makes the image, the network and its pool, as a user's first run does:
    // the trained one is a steady state's, on a pooled namespace.
    checked(cli(["run", "--rm", "-p", "127.0.0.1::80", "busybox", "true"]), "a first run");
    const pool = path.join(env.MYDOCKER_RUNROOT, ".net-pool");
    for (let i = 0; i < 100 && !(fs.existsSync(pool) && fs.readdirSync(pool).length > 0); i++) checked(spawnSync("sleep", ["0.05"]), "waiting for the pool");
    const maker = [path.join(root, "scripts/code-cache-maker.cjs"), path.join(dist, "snapshot.cjs"), path.join(dist, "snapshot.wrapped.js"), out];
    checked(spawnSync(process.execPath, [...maker, "run", "-d", "-p", "127.0.0.1::80", "busybox", "sleep", "60"], { env, encoding: "utf8", timeout: TIMEOUT_MS }), "the trained run");
    if (!fs.existsSync(out)) throw new Error("the trained run wrote no code cache");
  } catch (e) {
    why = e.message;
  } finally {
    const left = removeRoots(root, base, out);
    why ||= left;
    // What stays (a namespace a cut run still pins) is the next build's to remove.
    if (why && !left) fs.rmSync(base, { recursive: true, force: true });
  }
  if (interrupted) onSignal(interrupted);
  return why ? said(why) : out;
}

function said(why) {
  console.warn(`bundle: the startup snapshot is lazily compiled: no code cache of a run (${why})`);
  return undefined;
}

/** Only what a run needs: the roots under base, none of the caller's MYDOCKER_* settings or NODE_OPTIONS. */
function envOf(base) {
  return {
    PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    MYDOCKER_ROOT: path.join(base, "root"),
    MYDOCKER_RUNROOT: path.join(base, "run"),
    MYDOCKER_CGROUP_PARENT: path.basename(base),
  };
}

/** root's mydocker command line (its bundle, not the snapshot being made) on args. */
function mydocker(root, env, args) {
  return spawnSync(process.execPath, [path.join(root, "bin/mydocker.cjs"), ...args], { env, encoding: "utf8", timeout: TIMEOUT_MS });
}

/** The last line the command said (its error), or how it ended. */
function lastLine(r) {
  const lines = `${r.stderr ?? ""}`.trim().split("\n").filter(Boolean);
  return lines.at(-1) ?? r.error?.message ?? `exit ${r.status}`;
}

/** Training roots a killed build left behind. */
function staleRoots() {
  const now = Date.now();
  return fs
    .readdirSync(os.tmpdir())
    .filter((n) => n.startsWith(PREFIX))
    .map((n) => path.join(os.tmpdir(), n))
    .filter((d) => {
      try {
        return now - fs.statSync(d).mtimeMs > STALE_MS;
      } catch {
        return false;
      }
    });
}

/**
 * Everything of the roots under base gone from the host: containers, the network's pool and
 * bridge, the cgroup parent, the directories but keep (the cache); the subnet the deleted
 * root claimed released by another root's sweep. Returns what could not be removed, or "".
 */
function removeRoots(root, base, keep) {
  const env = envOf(base);
  const cli = (args) => mydocker(root, env, args);
  const ids = `${cli(["ps", "-aq"]).stdout ?? ""}`.trim().split("\n").filter(Boolean);
  if (ids.length) cli(["rm", "-f", ...ids]);
  // A run cut between its create and its start has a container the store may not know yet:
  // the runtime's state says it, and myrunc (the same runtime) ends it.
  const runtimeIds = fs.existsSync(env.MYDOCKER_RUNROOT) ? fs.readdirSync(env.MYDOCKER_RUNROOT).filter((n) => fs.existsSync(path.join(env.MYDOCKER_RUNROOT, n, "state.json"))) : [];
  for (const id of runtimeIds) spawnSync(path.join(root, "bin/myrunc"), ["--root", env.MYDOCKER_RUNROOT, "delete", "--force", id], { env, timeout: TIMEOUT_MS });
  // ps sweeps what such a run left of its network; prune releases the pool and the bridge.
  cli(["ps", "-a"]);
  cli(["network", "prune", "-f"]);
  for (const h of fs.existsSync("/sys/fs/cgroup") ? ["", ...fs.readdirSync("/sys/fs/cgroup")] : []) {
    try {
      fs.rmdirSync(path.join("/sys/fs/cgroup", h, path.basename(base)));
    } catch {
      // Not made in that hierarchy.
    }
  }
  let left = "";
  // The run root first: the store must outlive what it may still have to release.
  for (const dir of [env.MYDOCKER_RUNROOT, env.MYDOCKER_ROOT]) {
    // A namespace still pinned (a run cut short still tearing down) goes with another prune.
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
        left = "";
        break;
      } catch (e) {
        left = `${dir} stays (${e.code}): the next build removes it`;
        spawnSync("sleep", ["1"]);
        cli(["ps", "-a"]);
        cli(["network", "prune", "-f"]);
      }
    }
    if (left) break;
  }
  const sweep = path.join(base, "sweep");
  mydocker(root, envOf(sweep), ["network", "prune", "-f"]);
  fs.rmSync(sweep, { recursive: true, force: true });
  if (!keep && !left) fs.rmSync(base, { recursive: true, force: true });
  return left;
}
