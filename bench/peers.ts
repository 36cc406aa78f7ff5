// The peer runtimes (crun, runc, podman) set up on one shared busybox rootfs, and their commands.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { installed, mustRun, runSync } from "./exec.js";
import { makeBusyboxRootfs } from "../test/helpers/busybox-rootfs.js";
import { makeBundle } from "./rootfs.js";
import { podmanStore } from "../test/helpers/podman-store.js";

/** One per run: two benchmark runs at once must not remove each other's image. */
export const PODMAN_IMAGE = `localhost/mydocker-bench-busybox-${process.pid}`;

/** Flags podman needs on these hosts: its default rlimits need CAP_SYS_RESOURCE (see PEERS.md). */
const PODMAN_RUN_FLAGS = [
  "--pull", "never", "--network", "none", "--runtime", "runc",
  "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768",
];

/** podman in a store of a benchmark's own, holding PODMAN_IMAGE: its listings see only that benchmark's containers. */
export interface PodmanStore {
  /** argv of podman on this store. */
  podman: string[];
  run(args: string[]): string[];
  /** Removes its containers and the store (never the host's own podman state: every path is under the store's base). */
  cleanup(): void;
}

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
  /** A podman store of its own under base, with the image imported; throws when podman is missing. */
  podmanStore(base: string): PodmanStore;
  cleanup(): void;
}

export function preparePeers(): Peers {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-bench-peers-"));
  const rootfs = path.join(base, "rootfs");
  const bundle = path.join(base, "bundle");
  const stateRoot = { crun: path.join(base, "crun-state"), runc: path.join(base, "runc-state") };
  makeBusyboxRootfs(rootfs);
  makeBundle(bundle, rootfs, ["/bin/true"]);
  const podmanMissing = installed("podman") ? importPodmanImage(rootfs, ["podman"]) : "podman is not installed";
  return {
    bundle,
    podmanMissing,
    crunMissing: installed("crun") ? undefined : "crun is not installed",
    runcMissing: installed("runc") ? undefined : "runc is not installed",
    ociRun: (runtime, id) => [runtime, "--root", stateRoot[runtime], "run", "--bundle", bundle, id],
    podmanRun: (args) => ["podman", "run", ...PODMAN_RUN_FLAGS, ...args],
    podmanStore(storeBase) {
      if (podmanMissing) throw new Error(podmanMissing);
      const podman = ["podman", ...podmanStore(storeBase)];
      const cleanup = () => {
        runSync([...podman, "rm", "--all", "--force", "--time", "0"]);
        runSync([...podman, "system", "reset", "--force"]);
        fs.rmSync(storeBase, { recursive: true, force: true });
      };
      const failed = importPodmanImage(rootfs, podman);
      if (failed) {
        cleanup();
        throw new Error(failed);
      }
      return { podman, run: (args) => [...podman, "run", ...PODMAN_RUN_FLAGS, ...args], cleanup };
    },
    cleanup() {
      for (const runtime of ["crun", "runc"] as const) deleteLeftovers(runtime, stateRoot[runtime]);
      if (!podmanMissing) runSync(["podman", "rmi", "--force", PODMAN_IMAGE]);
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Why the image could not be imported into podman's store, or undefined once it is. */
function importPodmanImage(rootfs: string, podman: string[]): string | undefined {
  const archive = `${rootfs}.${process.hrtime.bigint()}.tar`;
  try {
    mustRun(["tar", "-C", rootfs, "-cf", archive, "."]);
    mustRun([...podman, "import", archive, PODMAN_IMAGE]);
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
