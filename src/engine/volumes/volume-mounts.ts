// Turns parsed -v/--mount/--tmpfs requests into OCI mounts, doing what must happen before
// the container starts: create missing volumes, fill empty ones from the image, create a
// missing `-v` host directory.
import fs from "node:fs";
import path from "node:path";
import type { Mount } from "../../spec/runtime.js";
import { MydockerError } from "../../util/errors.js";
import { copyUpFromImage } from "./copyup.js";
import { isAnonymous, type VolumeStore } from "./store.js";
import type { BindSpec, VolumeSpec } from "./volume-flags.js";

export interface PreparedMounts {
  /** Sorted so that a mount never hides one made before it (parents first). */
  mounts: Mount[];
  /** Every volume the container mounts (to record, so rm/prune know it is in use). */
  volumes: string[];
}

/** Anonymous volumes for the image's VOLUME paths that no user mount already covers. */
export function imageVolumeSpecs(imageVolumes: Record<string, unknown> | undefined, specs: readonly VolumeSpec[]): VolumeSpec[] {
  const taken = new Set(specs.map((s) => s.target));
  return Object.keys(imageVolumes ?? {})
    .map((p) => path.posix.normalize(p).replace(/(.)\/$/, "$1"))
    .filter((target) => !taken.has(target))
    .map((target) => ({ type: "volume", name: undefined, target, readonly: false, nocopy: false, labels: {} }));
}

function bindMount(destination: string, source: string, spec: Pick<BindSpec, "readonly" | "propagation" | "nonRecursive">): Mount {
  return {
    destination,
    source,
    type: "bind",
    options: [spec.nonRecursive ? "bind" : "rbind", spec.readonly ? "ro" : "rw", spec.propagation],
  };
}

const depth = (p: string) => p.split("/").filter(Boolean).length;

/**
 * imageLayerDirs: the image's layer directories, topmost first (the overlay's lower dirs),
 * to fill new volumes from.
 */
export function toOciMounts(specs: readonly VolumeSpec[], store: VolumeStore, imageLayerDirs: readonly string[]): PreparedMounts {
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.target)) throw new MydockerError("EINVAL", `Duplicate mount point: ${s.target}`);
    seen.add(s.target);
  }
  const mounts: Mount[] = [];
  const volumes: string[] = [];
  const created: string[] = [];
  try {
    for (const s of specs) {
      if (s.type === "tmpfs") {
        mounts.push({ destination: s.target, source: "tmpfs", type: "tmpfs", options: s.options });
      } else if (s.type === "bind") {
        // As docker: only a missing source is made, as a directory; a file, socket or device is bound as it is.
        if (s.createSource && !fs.existsSync(s.source)) fs.mkdirSync(s.source, { recursive: true, mode: 0o755 });
        mounts.push(bindMount(s.target, s.source, s));
      } else {
        const existed = s.name !== undefined && store.get(s.name) !== undefined;
        const v = store.create(s.name, { labels: s.labels });
        if (!existed) created.push(v.Name);
        volumes.push(v.Name);
        if (!s.nocopy) copyUpFromImage(v.Mountpoint, imageLayerDirs, s.target);
        mounts.push(bindMount(s.target, v.Mountpoint, { readonly: s.readonly, propagation: "rprivate", nonRecursive: false }));
      }
    }
  } catch (e) {
    // Nobody else knows of the anonymous volumes made here yet.
    for (const name of created) {
      const v = store.get(name);
      if (v && isAnonymous(v)) store.remove(name, () => []);
    }
    throw e;
  }
  mounts.sort((a, b) => depth(a.destination) - depth(b.destination));
  return { mounts, volumes };
}
