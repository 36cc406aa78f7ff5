// The peer runtimes (crun, runc, podman) set up on one shared busybox rootfs, and their commands.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { installed, mustRun, runSync } from "./exec.js";
import { makeBusyboxRootfs } from "../test/helpers/busybox-rootfs.js";
import { makeBundle } from "./rootfs.js";

/** One per run: two benchmark runs at once must not remove each other's image. */
export const PODMAN_IMAGE = `localhost/mydocker-bench-busybox-${process.pid}`;

/** Flags podman needs on these hosts: its default rlimits need CAP_SYS_RESOURCE (see PEERS.md). */
const PODMAN_RUN = [
  "podman", "run", "--pull", "never", "--network", "none", "--runtime", "runc",
  "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768",
];

export interface Peers {
  /** A bundle whose process is /bin/true on a read-only shared rootfs. */
  bundle: string;
  /** Why podman cannot be used, or undefined when its image is ready. */
  podmanMissing?: string;
  crunMissing?: string;
  runcMissing?: string;
  /** `crun run` / `runc run` of the bundle as container id, with state kept in our own root. */
  ociRun(runtime: "crun" | "runc", id: string): string[];
  podmanRun(args: string[]): string[];
  cleanup(): void;
}

export function preparePeers(): Peers {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-bench-peers-"));
  const rootfs = path.join(base, "rootfs");
  const bundle = path.join(base, "bundle");
  const stateRoot = { crun: path.join(base, "crun-state"), runc: path.join(base, "runc-state") };
  makeBusyboxRootfs(rootfs);
  makeBundle(bundle, rootfs, ["/bin/true"]);
  const podmanMissing = importPodmanImage(rootfs);
  return {
    bundle,
    podmanMissing,
    crunMissing: installed("crun") ? undefined : "crun is not installed",
    runcMissing: installed("runc") ? undefined : "runc is not installed",
    ociRun: (runtime, id) => [runtime, "--root", stateRoot[runtime], "run", "--bundle", bundle, id],
    podmanRun: (args) => [...PODMAN_RUN, ...args],
    cleanup() {
      for (const runtime of ["crun", "runc"] as const) deleteLeftovers(runtime, stateRoot[runtime]);
      if (!podmanMissing) runSync(["podman", "rmi", "--force", PODMAN_IMAGE]);
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}

function importPodmanImage(rootfs: string): string | undefined {
  if (!installed("podman")) return "podman is not installed";
  const archive = `${rootfs}.tar`;
  try {
    mustRun(["tar", "-C", rootfs, "-cf", archive, "."]);
    mustRun(["podman", "import", archive, PODMAN_IMAGE]);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    fs.rmSync(archive, { force: true });
  }
}

/** Containers left by an interrupted run, in our own state root only. */
function deleteLeftovers(runtime: string, stateRoot: string): void {
  if (!fs.existsSync(stateRoot)) return;
  for (const id of fs.readdirSync(stateRoot)) runSync([runtime, "--root", stateRoot, "delete", "--force", id]);
}
