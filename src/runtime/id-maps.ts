// A new user namespace's uid and gid maps (linux.uidMappings/gidMappings), written for the
// container's init by us, its creator in the parent namespace, while it waits (before `go`).
import fs from "node:fs";
import type { IdMapping, Spec } from "../spec/runtime.js";
import { MydockerError } from "../util/errors.js";

/** Whether the spec asks for a user namespace of its own. */
export function newUserNamespace(spec: Spec): boolean {
  return (spec.linux?.namespaces ?? []).some((n) => n.type === "user" && n.path === undefined);
}

function mapText(maps: readonly IdMapping[]): string {
  return maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join("");
}

/** The host id that id of the container maps to, if any. */
function hostIdOf(maps: readonly IdMapping[] | undefined, id: number): number | undefined {
  const m = maps?.find((x) => id >= x.containerID && id < x.containerID + x.size);
  return m === undefined ? undefined : m.hostID + (id - m.containerID);
}

/** The container's root may open file (the exec FIFO, reopened for writing as that root, as runc chowns it). */
export function chownToContainerRoot(file: string, spec: Spec): void {
  fs.chownSync(file, hostIdOf(spec.linux?.uidMappings, 0) ?? 0, hostIdOf(spec.linux?.gidMappings, 0) ?? 0);
}

export function writeIdMaps(pid: number, spec: Spec): void {
  for (const [file, maps] of [["uid_map", spec.linux?.uidMappings ?? []], ["gid_map", spec.linux?.gidMappings ?? []]] as const) {
    try {
      fs.writeFileSync(`/proc/${pid}/${file}`, mapText(maps));
    } catch (e) {
      const field = file === "uid_map" ? "uidMappings" : "gidMappings";
      throw new MydockerError("invalid-config", `config.json: linux.${field}: the kernel refused the map (${(e as Error).message})`);
    }
  }
}
