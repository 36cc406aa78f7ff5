// Containers in docker's JSON: the inspect document (ContainerJSON) and the list entry
// (ContainerSummary), from the engine's record and inspect view.
import type { ContainerRecord } from "../../engine/container-store.js";
import { humanDuration } from "../../engine/durations.js";
import { statusText } from "../../engine/inspect.js";
import type { Engine } from "../../engine/engine.js";
import type { PortPublished } from "../../engine/networks/settings.js";

/** GET /containers/{id}/json. */
export function containerJson(engine: Engine, query: string) {
  const i = engine.inspect(query);
  return {
    ...i,
    NetworkSettings: i.NetworkSettings,
  };
}

/** An entry of GET /containers/json. */
/** docker's Ports list from the published ports ({"80/tcp": [{HostIp, HostPort}]}). */
export function portList(ports: Record<string, PortPublished[] | null>) {
  return Object.entries(ports).flatMap(([spec, hosts]) => {
    const [port, type = "tcp"] = spec.split("/");
    const PrivatePort = Number(port);
    if (!hosts?.length) return [{ PrivatePort, Type: type }];
    return hosts.map((h) => ({ IP: h.HostIp || "0.0.0.0", PrivatePort, PublicPort: Number(h.HostPort), Type: type }));
  });
}

export function containerSummary(c: ContainerRecord, now: number, human: (ms: number) => string, ports: ReturnType<typeof portList>) {
  return {
    Id: c.id,
    Names: [`/${c.name}`],
    Image: c.image || c.hostConfig.Rootfs,
    ImageID: c.imageId,
    Command: [...(c.config.Entrypoint ?? []), ...c.config.Cmd].join(" "),
    Created: Math.floor(Date.parse(c.created) / 1000),
    Ports: ports,
    Labels: c.config.Labels,
    State: c.state.status,
    Status: statusText(c, now, human),
    HostConfig: { NetworkMode: c.hostConfig.NetworkMode || "bridge" },
    NetworkSettings: { Networks: {} },
    Mounts: [],
  };
}

/** A container as GET /containers/json lists it, its published ports included. */
export function containerListEntry(engine: Engine, c: ContainerRecord, now: number) {
  return containerSummary(c, now, humanDuration, portList(engine.networks.containerPorts(c)));
}
