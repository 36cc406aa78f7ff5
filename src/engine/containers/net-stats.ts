// A container's network counters (docker stats' NET I/O, the API's stats "networks"): its
// interfaces as the kernel counts them in its network namespace, read through its init's
// /proc entry, which the kernel writes (nothing of the container's files is read).
import fs from "node:fs";
import type { ContainerRecord } from "../container-store.js";

export interface InterfaceCounters {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

/** The container's own interfaces but lo; none for --network host (the host's are not its own) or none. */
export function networkCounters(c: ContainerRecord): Record<string, InterfaceCounters> | undefined {
  const mode = c.hostConfig.NetworkMode;
  if (mode === "host" || mode === "none" || mode.startsWith("container:") || c.state.pid <= 0) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${c.state.pid}/net/dev`, "utf8");
  } catch {
    return undefined;
  }
  const out: Record<string, InterfaceCounters> = {};
  for (const line of text.split("\n").slice(2)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === "lo") continue;
    const n = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    out[name] = { rx_bytes: n[0]!, rx_packets: n[1]!, rx_errors: n[2]!, rx_dropped: n[3]!, tx_bytes: n[8]!, tx_packets: n[9]!, tx_errors: n[10]!, tx_dropped: n[11]! };
  }
  return Object.keys(out).length ? out : undefined;
}
