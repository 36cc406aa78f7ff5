// Containers in docker's JSON: the inspect document (ContainerJSON) and the list entry
// (ContainerSummary), from the engine's record and inspect view.
import type { ContainerRecord } from "../../engine/container-store.js";
import { statusText } from "../../engine/inspect.js";
import type { Engine } from "../../engine/engine.js";

/** GET /containers/{id}/json. */
export function containerJson(engine: Engine, query: string) {
  const i = engine.inspect(query);
  return {
    ...i,
    State: { ...i.State, Health: undefined },
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
