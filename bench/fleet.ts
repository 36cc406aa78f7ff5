// Many detached `sleep` containers at once, for the scale benchmark: made concurrently
// (mydocker through its library, podman through `podman run -d`), removed at the end and
// on Ctrl-C, and the memory of the monitors that watch them.
import fs from "node:fs";
import path from "node:path";
import type { BenchContext } from "./context.js";
import { pool, runAsync, runSync } from "./exec.js";
import { withTimeout } from "./mydocker.js";
import { PODMAN_IMAGE, type PodmanStore } from "./peers.js";

/** Containers started at once while the fleet is made. */
const MYDOCKER_CONCURRENCY = 8;
const PODMAN_CONCURRENCY = 4;
/** Ids per `rm` command line: each command must end within runSync's timeout. */
const RM_CHUNK = 50;

export interface Fleet {
  /** PSS in kB of each container's monitor process (mydocker's shim, podman's conmon). */
  monitorPss(): number[];
  remove(): Promise<void>;
}

const SLEEP = ["sleep", "1000000"];

/** n detached sleeps made and removed through mydocker's library, 8 at a time (the command line for what it could not remove, and on Ctrl-C). */
export async function mydockerFleet(ctx: BenchContext, n: number, progress: (done: number) => void): Promise<Fleet> {
  const { mydocker } = ctx;
  const engine = await mydocker.engine();
  const runDetached = engine.runDetached?.bind(engine);
  if (!runDetached) throw new Error("Engine has no runDetached");
  const ids: string[] = [];
  // On Ctrl-C, through the command line (a cleanup cannot wait for promises).
  const cleanupByCli = () => {
    for (let i = 0; i < ids.length; i += RM_CHUNK) runSync(mydocker.cli(["rm", "-f", ...ids.slice(i, i + RM_CHUNK)]), mydocker.env);
  };
  const undo = ctx.onCleanup(cleanupByCli);
  const remove = async () => {
    const failed: string[] = [];
    await pool(ids.length, MYDOCKER_CONCURRENCY, (i) => withTimeout(engine.remove(ids[i], { force: true })).then(() => {}, () => void failed.push(ids[i])));
    if (failed.length > 0) process.stderr.write(`  ${failed.length} removes failed through the library; again through the command line\n`);
    ids.splice(0, ids.length, ...failed);
    cleanupByCli();
    ids.length = 0;
    undo();
  };
  try {
    await pool(n, MYDOCKER_CONCURRENCY, async () => {
      ids.push(await withTimeout(runDetached({ image: "busybox", cmd: SLEEP })));
      if (ids.length % 100 === 0) progress(ids.length);
    });
  } catch (e) {
    await remove();
    throw e;
  }
  return { monitorPss: () => ids.map((id) => pssOf(shimPid(mydocker.runRoot, id))), remove };
}

function shimPid(runRoot: string, id: string): number {
  const state = JSON.parse(fs.readFileSync(path.join(runRoot, id, "state.json"), "utf8")) as { shimPid?: number };
  if (!state.shimPid) throw new Error(`container ${id} has no shim pid in its state`);
  return state.shimPid;
}

/** n detached sleeps made by `podman run -d` in the store given, labelled with this run so only they are removed. */
export async function podmanFleet(ctx: BenchContext, store: PodmanStore, n: number, progress: (done: number) => void): Promise<Fleet> {
  const { podman } = store;
  const label = `mydocker-bench-scale=${process.pid}`;
  const remove = () => {
    const r = runSync([...podman, "ps", "-aq", "--no-trunc", "--filter", `label=${label}`]);
    const ids = r.status === 0 ? r.stdout.split("\n").filter(Boolean) : [];
    for (let i = 0; i < ids.length; i += RM_CHUNK) runSync([...podman, "rm", "--force", "--time", "0", ...ids.slice(i, i + RM_CHUNK)]);
  };
  const undo = ctx.onCleanup(remove);
  let made = 0;
  try {
    await pool(n, PODMAN_CONCURRENCY, async () => {
      await runAsync(store.run(["-d", "--label", label, PODMAN_IMAGE, ...SLEEP]));
      if (++made % 100 === 0) progress(made);
    });
  } catch (e) {
    remove();
    undo();
    throw e;
  }
  return {
    monitorPss() {
      const r = runSync([...podman, "ps", "-q", "--no-trunc", "--filter", `label=${label}`]);
      const ids = r.stdout.split("\n").filter(Boolean);
      const pids = runSync([...podman, "inspect", "--format", "{{.State.ConmonPid}}", ...ids]);
      if (pids.status !== 0) throw new Error(`podman inspect: ${pids.stderr.trim()}`);
      return pids.stdout.split("\n").filter(Boolean).map((p) => pssOf(Number(p)));
    },
    async remove() {
      remove();
      undo();
    },
  };
}

function pssOf(pid: number): number {
  const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
  if (!m) throw new Error(`no Pss in /proc/${pid}/smaps_rollup`);
  return Number(m[1]);
}
