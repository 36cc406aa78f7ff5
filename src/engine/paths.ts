// Where the engine keeps things. Every root can be overridden (flag, then environment),
// so tests run side by side in temporary roots.
import path from "node:path";

export interface EngineRoots {
  /** Metadata, layers, containers' writable layers, volumes. */
  root: string;
  /** Runtime state: one directory per container (tmpfs on most hosts). */
  runRoot: string;
  /** The cgroup containers live under unless --cgroup-parent says otherwise. */
  cgroupParent: string;
}

export function defaultRoots(env: NodeJS.ProcessEnv = process.env): EngineRoots {
  return {
    root: path.resolve(env.MYDOCKER_ROOT || "/var/lib/mydocker"),
    runRoot: path.resolve(env.MYDOCKER_RUNROOT || "/run/mydocker"),
    cgroupParent: env.MYDOCKER_CGROUP_PARENT || "mydocker",
  };
}

export function containerDir(roots: EngineRoots, id: string): string {
  return path.join(roots.root, "containers", id);
}

/**
 * The init layer of containers made from an image: the empty mount points of the /etc files
 * bound over the image's (networks/etc-files.ts). It is the same for every container, so one
 * read-only lower layer serves them all (a container made before it existed has its own).
 */
export function initLayerDir(roots: EngineRoots): string {
  return path.join(roots.root, "init-layer");
}
