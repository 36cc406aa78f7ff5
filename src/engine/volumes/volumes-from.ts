// docker's --volumes-from CONTAINER[:ro|:rw]: the other container's volumes and bind
// mounts, at the same places, read-only or read-write as asked (else as they are there).
import type { Mount } from "../../spec/runtime.js";
import { MydockerError } from "../../util/errors.js";
import type { ContainerRecord } from "../container-store.js";

export interface InheritedMounts {
  mounts: Mount[];
  /** The volumes among them, recorded as this container's too (rm and prune see them in use). */
  volumes: string[];
}

function parse(spec: string): { query: string; mode?: "ro" | "rw" } {
  const i = spec.lastIndexOf(":");
  if (i < 0) return { query: spec };
  const mode = spec.slice(i + 1);
  if (mode !== "ro" && mode !== "rw") throw new MydockerError("EINVAL", `invalid mode for volumes-from: ${spec}: use CONTAINER, CONTAINER:ro or CONTAINER:rw`);
  return { query: spec.slice(0, i), mode };
}

function withMode(m: Mount, mode: "ro" | "rw" | undefined): Mount {
  if (!mode) return m;
  return { ...m, options: [...(m.options ?? []).filter((o) => o !== "ro" && o !== "rw"), mode] };
}

/** The mounts the named containers give; a destination taken by an earlier one is kept from it. */
export function volumesFrom(specs: readonly string[], lookup: (query: string) => ContainerRecord): InheritedMounts {
  const mounts: Mount[] = [];
  const volumes: string[] = [];
  for (const spec of specs) {
    const { query, mode } = parse(spec);
    const from = lookup(query);
    for (const m of from.hostConfig.Mounts) {
      if (m.type !== "bind" || mounts.some((x) => x.destination === m.destination)) continue;
      mounts.push(withMode(m, mode));
    }
    for (const v of from.hostConfig.Volumes ?? []) if (!volumes.includes(v)) volumes.push(v);
  }
  return { mounts, volumes };
}
