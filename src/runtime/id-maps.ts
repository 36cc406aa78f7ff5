// A new user namespace's uid and gid maps (linux.uidMappings/gidMappings), written for the
// container's init by us, its creator in the parent namespace, while it waits (before `go`);
// or a joined one's, read from it.
import fs from "node:fs";
import type { IdMapping, Spec } from "../spec/runtime.js";
import { MydockerError } from "../util/errors.js";

/** Whether the spec asks for a user namespace of its own. */
export function newUserNamespace(spec: Spec): boolean {
  return (spec.linux?.namespaces ?? []).some((n) => n.type === "user" && n.path === undefined);
}

/** The path of the user namespace the spec joins (podman's and CRI's pods pass one), if it joins one. */
export function joinedUserNamespace(spec: Spec): string | undefined {
  return (spec.linux?.namespaces ?? []).find((n) => n.type === "user" && n.path !== undefined)?.path;
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
export function chownToContainerRoot(file: string, maps: Pick<NonNullable<Spec["linux"]>, "uidMappings" | "gidMappings"> | undefined): void {
  fs.chownSync(file, hostIdOf(maps?.uidMappings, 0) ?? 0, hostIdOf(maps?.gidMappings, 0) ?? 0);
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

/** /proc/PID/uid_map or gid_map as read from here: "ID-INSIDE ID-OUTSIDE COUNT" lines. */
function readMaps(pid: number, file: "uid_map" | "gid_map"): IdMapping[] {
  return fs
    .readFileSync(`/proc/${pid}/${file}`, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => {
      const [containerID = 0, hostID = 0, size = 0] = l.trim().split(/\s+/).map(Number);
      return { containerID, hostID, size };
    });
}

/**
 * The container's init (PID), born in the user namespace the spec joins: the spec's maps, if
 * it gives any, must be that namespace's (as runc checks), and the exec FIFO becomes its
 * root's, which reopens it for writing.
 */
export function adoptJoinedMaps(pid: number, spec: Spec, execFifo: string | undefined): void {
  const maps = { uidMappings: readMaps(pid, "uid_map"), gidMappings: readMaps(pid, "gid_map") };
  for (const field of ["uidMappings", "gidMappings"] as const) {
    const given = spec.linux?.[field];
    if (given?.length && mapText(given) !== mapText(maps[field])) {
      const path = joinedUserNamespace(spec) ?? "";
      throw new MydockerError("invalid-config", `config.json: linux.${field}: ${JSON.stringify(given)} are not the maps of the user namespace joined at ${path} (${JSON.stringify(maps[field])}); leave them out or give those`);
    }
  }
  if (execFifo) chownToContainerRoot(execFifo, maps);
}
