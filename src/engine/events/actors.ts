// The attributes docker gives each kind of actor: a container's image, name and labels; an
// image's name; a volume's driver.
import type { ContainerRecord } from "../container-store.js";
import type { ContainerAction, DetailedContainerAction, EventInput } from "./types.js";

export function containerEvent(c: Pick<ContainerRecord, "id" | "name" | "image" | "config" | "hostConfig">, Action: ContainerAction | DetailedContainerAction, extra: Record<string, string> = {}): EventInput {
  return {
    Type: "container",
    Action,
    id: c.id,
    attributes: { ...c.config.Labels, image: c.image || c.hostConfig.Rootfs, name: c.name, ...extra },
  };
}
