// The ports a container's monitor publishes: what it is told of them, and a taken one
// explained in docker's words.
import { clash, type PublishedPort } from "../../network/ports.js";
import type { Endpoint } from "../../network/store.js";
import { PortInUseError, type PortForward } from "../../runtime/index.js";

/** What the monitor is told of the published ports: each forwarded to the target's address. */
export function forwards(target: Endpoint | undefined, ports: PublishedPort[]): PortForward[] {
  if (!target) return [];
  return ports.map((p) => ({ protocol: p.protocol, hostIp: p.hostIp || "0.0.0.0", hostPort: p.hostPort, containerIp: target.ip, containerPort: p.containerPort }));
}

/**
 * A start that failed on a taken port, in docker's words, naming the container of this engine
 * (among ids, whose ports portsOf tells) that publishes it, if one does; any other failure as it is.
 */
export function explainClash(e: unknown, id: string, ids: string[], portsOf: (id: string) => PublishedPort[]): unknown {
  if (!(e instanceof PortInUseError)) return e;
  const all = e.hostIp === "0.0.0.0";
  const holds = (p: PublishedPort) => p.hostPort === e.hostPort && p.protocol === e.protocol && (all || !p.hostIp || p.hostIp === e.hostIp);
  const who = ids.find((other) => other !== id && portsOf(other).some(holds));
  return clash(e.hostIp, e.hostPort, who?.slice(0, 12));
}
