// The engine's networking, made in one piece: the store, the service users see
// (engine.networks) and the containers' side (addresses, namespaces), wired to each other.
import type { Db } from "../../store/db.js";
import { NetworkStore } from "../../network/store.js";
import type { ContainerRecord } from "../container-store.js";
import type { EngineRoots } from "../paths.js";
import { ContainerNetwork } from "./container-network.js";
import { NetworkService } from "./service.js";
import { isRunning } from "../containers/context.js";
import type { EventsService } from "../events/service.js";
import type { NetworkEventSink } from "../events/types.js";
import type { NetnsPinner } from "../../network/netns.js";

export type { NetworkService } from "./service.js";
export type { NetworkSettings } from "./settings.js";

export interface Networking {
  service: NetworkService;
  containers: ContainerNetwork;
}

export function makeNetworking(
  db: () => Db,
  roots: EngineRoots,
  resolve: (query: string) => ContainerRecord,
  nameOf: (id: string) => string | undefined,
  debug: (msg: string) => void,
  events: () => Pick<EventsService, "record">,
  pin?: NetnsPinner,
): Networking {
  // Made for each use: it holds no state of its own, and the database handle may be reopened.
  const s = () => new NetworkStore(db());
  // By the name users know: a run's description has the network under its name in netavark.
  const event: NetworkEventSink = (Action, n, container) =>
    events().record({ Type: "network", Action, id: n.id, attributes: { name: s().get(n.id)?.name ?? n.name, type: "bridge", ...(container ? { container } : {}) } });
  const service = new NetworkService(s, roots, (id) => s().endpointsOn(id).map((e) => e.containerId), nameOf, event);
  const containers = new ContainerNetwork(s, service, roots, debug, event, pin);
  service.bindMembers({
    connect: (n, ctr, req) => containers.connect(resolve(ctr), n, req),
    disconnect: (n, ctr) => containers.disconnect(resolve(ctr), n),
    drain: () => containers.drain(),
    ports: (ctr) => {
      const c = typeof ctr === "string" ? resolve(ctr) : ctr;
      return isRunning(c.state.status) ? containers.ports(c) : {};
    },
  });
  return { service, containers };
}
