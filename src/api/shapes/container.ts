// Containers in docker's JSON: the inspect document (ContainerJSON) and the list entry
// (ContainerSummary), from the engine's record and inspect view.
import type { ContainerRecord } from "../../engine/container-store.js";
import type { HostConfig } from "../../engine/container-config.js";
import { statusText } from "../../engine/inspect.js";
import type { Engine } from "../../engine/engine.js";

export interface ApiHostConfigOut {
  NetworkMode: string;
  RestartPolicy: { Name: string; MaximumRetryCount: number };
  AutoRemove: boolean;
  Privileged: boolean;
  CapAdd: string[] | null;
  CapDrop: string[] | null;
  Init: boolean;
  ReadonlyRootfs: boolean;
  CgroupParent: string;
  CgroupnsMode: string;
  OomScoreAdj: number;
  SecurityOpt: string[] | null;
  LogConfig: { Type: string; Config: Record<string, string> };
  Binds: string[] | null;
  Memory: number;
  MemoryReservation: number;
  MemorySwap: number;
  NanoCpus: number;
  CpuShares: number;
  CpuPeriod: number;
  CpuQuota: number;
  CpusetCpus: string;
  CpusetMems: string;
  PidsLimit: number | null;
  BlkioWeight: number;
  PortBindings: Record<string, never>;
}

export function hostConfigOut(hc: HostConfig): ApiHostConfigOut {
  const r = hc.Resources ?? {};
  return {
    NetworkMode: hc.NetworkMode || "bridge",
    RestartPolicy: hc.RestartPolicy ?? { Name: "no", MaximumRetryCount: 0 },
    AutoRemove: hc.AutoRemove,
    Privileged: hc.Privileged,
    CapAdd: hc.CapAdd?.length ? hc.CapAdd : null,
    CapDrop: hc.CapDrop?.length ? hc.CapDrop : null,
    Init: hc.Init,
    ReadonlyRootfs: hc.ReadonlyRootfs,
    CgroupParent: hc.CgroupParent ?? "",
    CgroupnsMode: hc.CgroupnsMode ?? "private",
    OomScoreAdj: hc.OomScoreAdj ?? 0,
    SecurityOpt: hc.SecurityOpt?.length ? hc.SecurityOpt : null,
    LogConfig: hc.LogConfig ?? { Type: "json-file", Config: {} },
    Binds: null,
    Memory: r.memory?.limit ?? 0,
    MemoryReservation: r.memory?.reservation ?? 0,
    MemorySwap: r.memory?.swap ?? 0,
    NanoCpus: 0,
    CpuShares: r.cpu?.shares ?? 0,
    CpuPeriod: r.cpu?.period ?? 0,
    CpuQuota: r.cpu?.quota ?? 0,
    CpusetCpus: r.cpu?.cpus ?? "",
    CpusetMems: r.cpu?.mems ?? "",
    PidsLimit: r.pids?.limit ?? null,
    BlkioWeight: r.blockIO?.weight ?? 0,
    PortBindings: {},
  };
}

/** GET /containers/{id}/json. */
export function containerJson(engine: Engine, query: string) {
  const i = engine.inspect(query);
  return {
    ...i,
    State: { ...i.State, Health: undefined },
    ResolvConfPath: "",
    HostnamePath: "",
    HostsPath: "",
    MountLabel: "",
    ProcessLabel: "",
    AppArmorProfile: "",
    ExecIDs: null,
    HostConfig: hostConfigOut(i.HostConfig),
    Mounts: i.Mounts.map((m) => ({ ...m, Name: m.Type === "volume" ? m.Source.split("/").at(-2) ?? "" : undefined, Driver: m.Type === "volume" ? "local" : undefined })),
    NetworkSettings: i.NetworkSettings,
  };
}

/** An entry of GET /containers/json. */
export function containerSummary(c: ContainerRecord, now: number, human: (ms: number) => string) {
  return {
    Id: c.id,
    Names: [`/${c.name}`],
    Image: c.image || c.hostConfig.Rootfs,
    ImageID: c.imageId,
    Command: [...(c.config.Entrypoint ?? []), ...c.config.Cmd].join(" "),
    Created: Math.floor(Date.parse(c.created) / 1000),
    Ports: [],
    Labels: c.config.Labels,
    State: c.state.status,
    Status: statusText(c, now, human),
    HostConfig: { NetworkMode: c.hostConfig.NetworkMode || "bridge" },
    NetworkSettings: { Networks: {} },
    Mounts: [],
  };
}
