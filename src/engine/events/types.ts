// Engine events in docker's shape (the Engine API's events.Message): what `events` prints
// and what the API's /events streams.
import type { ImageEventAction } from "../../image/index.js";

export type EventType = "container" | "image" | "volume" | "network" | "daemon";

export type ContainerAction =
  | "create"
  | "start"
  | "restart"
  | "die"
  | "stop"
  | "kill"
  | "destroy"
  | "pause"
  | "unpause"
  | "rename"
  | "update"
  | "exec_create"
  | "exec_start"
  | "exec_die"
  | "attach"
  | "commit"
  | "export"
  | "copy"
  | "health_status";
/** docker gives these their details after a colon ("exec_start: sh -c date", "health_status: healthy"). */
export type DetailedContainerAction = `${"exec_create" | "exec_start" | "health_status"}: ${string}`;
export type ImageAction = ImageEventAction;
export type VolumeAction = "create" | "destroy" | "mount" | "unmount" | "prune";
export type NetworkAction = "create" | "destroy" | "connect" | "disconnect" | "prune";

/** Records docker's network events: Actor.ID the network's id, the container for (dis)connect. */
export type NetworkEventSink = (action: NetworkAction, n: { id: string; name: string }, container?: string) => void;

export type EventAction = ContainerAction | ImageAction | VolumeAction | NetworkAction | "reload";

/** What a service tells the events service; the time and the order are added on record. */
export type EventInput =
  | { Type: "container"; Action: ContainerAction | DetailedContainerAction; id: string; attributes: Record<string, string> }
  | { Type: "image"; Action: ImageAction; id: string; attributes: Record<string, string> }
  | { Type: "volume"; Action: VolumeAction; id: string; attributes: Record<string, string> }
  | { Type: "network"; Action: NetworkAction; id: string; attributes: Record<string, string> }
  | { Type: "daemon"; Action: "reload"; id: string; attributes: Record<string, string> };

export interface EngineEvent {
  Type: EventType;
  /** docker prefixes some with details: "exec_start: sh -c ...", "health_status: healthy". */
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: "local";
  /** Unix seconds. */
  time: number;
  /** Unix nanoseconds (microsecond precision: exact as a JSON number). */
  timeNano: number;
  /** Deprecated fields docker still sends for container and image events. */
  status?: string;
  id?: string;
  from?: string;
}

/** A recorded event and its place in the store's order, the cursor of a live stream. */
export interface StoredEvent {
  seq: number;
  event: EngineEvent;
}
