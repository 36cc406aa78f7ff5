// `docker inspect` and `docker ps` views of a container record.
import type { ContainerRecord } from "./container-store.js";
import { healthNote } from "./health/check.js";
import { containerDir, type EngineRoots } from "./paths.js";
import path from "node:path";
import { hostConfigView, mountsView } from "./inspect-host-config.js";
import { containerHostname } from "./spec-builder.js";

export function containerInspect(c: ContainerRecord, roots: EngineRoots) {
  const s = c.state;
  const dir = containerDir(roots, c.id);
  return {
    Id: c.id,
    Created: c.created,
    Path: [...(c.config.Entrypoint ?? []), ...c.config.Cmd][0] ?? "",
    Args: [...(c.config.Entrypoint ?? []), ...c.config.Cmd].slice(1),
    State: {
      Status: s.status,
      Running: s.status === "running" || s.status === "paused",
      Paused: s.status === "paused",
      Restarting: s.status === "restarting",
      OOMKilled: s.oomKilled,
      Dead: s.status === "dead",
      Pid: s.pid,
      ExitCode: s.exitCode,
      Error: s.error,
      StartedAt: s.startedAt,
      FinishedAt: s.finishedAt,
      ...(s.health ? { Health: s.health } : {}),
    },
    Image: c.imageId,
    ResolvConfPath: "",
    HostnamePath: "",
    HostsPath: "",
    LogPath: path.join(dir, "container.log"),
    Name: `/${c.name}`,
    RestartCount: c.restartCount,
    Driver: "overlay2",
    Platform: "linux",
    MountLabel: "",
    ProcessLabel: "",
    AppArmorProfile: "",
    ExecIDs: null,
    HostConfig: hostConfigView(c),
    GraphDriver: {
      Name: "overlay2",
      // No MergedDir: the merged view is mounted only in the container's own mount namespace.
      Data: { UpperDir: path.join(dir, "upper"), WorkDir: path.join(dir, "work") },
    },
    Mounts: mountsView(c),
    Config: {
      ...c.config,
      Hostname: containerHostname(c),
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      StdinOnce: c.config.StdinOnce ?? false,
    },
  };
}

/** docker ps's STATUS column. */
export function statusText(c: ContainerRecord, now = Date.now(), human: (ms: number) => string): string {
  const s = c.state;
  switch (s.status) {
    case "running":
      return `Up ${human(now - Date.parse(s.startedAt))}${healthNote(s.health)}`;
    case "paused":
      return `Up ${human(now - Date.parse(s.startedAt))} (Paused)`;
    case "restarting":
      return `Restarting (${s.exitCode}) ${human(now - Date.parse(s.finishedAt))} ago`;
    case "exited":
      return `Exited (${s.exitCode}) ${human(now - Date.parse(s.finishedAt))} ago`;
    case "created":
      return "Created";
    default:
      return s.status.charAt(0).toUpperCase() + s.status.slice(1);
  }
}
