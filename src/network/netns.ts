// A network namespace that outlives the container's processes: bind-mounted on a file under
// the run root before the container starts, so netavark can set it up before the process
// runs and tear it down after the last one exits (a --restart run keeps it and its address).
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { MydockerError } from "../util/errors.js";

/** Runs argv to its end without holding the caller's thread (a daemon serves others meanwhile). */
function sh(argv: string[]): Promise<{ ok: boolean; err: string }> {
  return new Promise((resolve) =>
    execFile(argv[0]!, argv.slice(1), { encoding: "utf8" }, (e, _out, stderr) => resolve({ ok: e === null, err: (stderr || e?.message || "").trim() })),
  );
}

/** True when file is a mount point holding a network namespace. */
export function isPinned(file: string): boolean {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  const parent = fs.statSync(path.dirname(file), { throwIfNoEntry: false });
  return st !== undefined && parent !== undefined && st.dev !== parent.dev;
}

/** Makes a new network namespace and pins it on an existing empty file (the runtime's pinNetns). */
export type NetnsPinner = (file: string) => Promise<void>;

/** `unshare` forked from this process: for a caller without a runtime (a dead root's sweep). */
async function unsharePin(file: string): Promise<void> {
  const r = await sh(["unshare", `--net=${file}`, "true"]);
  if (!r.ok) throw new Error(r.err);
}

/** A new network namespace pinned on file (made empty first), by pin. */
export async function createNetns(file: string, pin: NetnsPinner = unsharePin): Promise<void> {
  fs.writeFileSync(file, "", { mode: 0o444 });
  try {
    await pin(file);
  } catch (e) {
    fs.rmSync(file, { force: true });
    throw new MydockerError("ENETNS", `making the container's network namespace: ${(e as Error).message}`);
  }
}

/** Unpins and removes a namespace file; a missing or already unpinned one is fine. */
export async function removeNetns(file: string): Promise<void> {
  if (!fs.existsSync(file)) return;
  if (isPinned(file)) {
    const r = await sh(["umount", "--lazy", file]);
    if (!r.ok && isPinned(file)) throw new MydockerError("ENETNS", `unmounting the network namespace ${file}: ${r.err}`);
  }
  fs.rmSync(file, { force: true });
}

/**
 * Whether a process is in the namespace pinned on file: every process's namespace compared
 * (tens of milliseconds on a busy host: for sweeps, not for a run's path).
 */
export function netnsInUse(file: string): boolean {
  const ino = fs.statSync(file, { throwIfNoEntry: false })?.ino;
  if (ino === undefined) return false;
  const want = `net:[${ino}]`;
  for (const pid of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (fs.readlinkSync(`/proc/${pid}/ns/net`) === want) return true;
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return false;
}
