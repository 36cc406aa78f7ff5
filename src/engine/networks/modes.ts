// What --network names: the default network, the modes that are no network, and how a
// container's NetworkMode reads.

export const DEFAULT_NETWORK = "bridge";
/** The modes --network takes that are no network of the store. */
export const SPECIAL_MODES = new Set(["none", "host", "default"]);

/** How a container joins networks, from its NetworkMode. */
export type ModeKind = { kind: "none" } | { kind: "host" } | { kind: "container"; ref: string } | { kind: "network"; name: string };

export function modeOf(mode: string): ModeKind {
  if (mode === "none" || mode === "host") return { kind: mode };
  if (mode.startsWith("container:")) return { kind: "container", ref: mode.slice("container:".length) };
  return { kind: "network", name: mode === "default" || mode === "" ? DEFAULT_NETWORK : mode };
}
