// docker ps: CONTAINER ID, IMAGE, COMMAND, CREATED, STATUS, PORTS, NAMES.
import type { Engine } from "../../engine/engine.js";
import type { ContainerRecord } from "../../engine/container-store.js";
import { statusText } from "../../engine/inspect.js";
import { containerFilter, filtersListAll } from "../../engine/containers/filters.js";
import { intFlag } from "../flags.js";
import { formatList, humanDuration, humanSize, type ListFormat } from "../format.js";
import { portsText } from "../../engine/networks/settings.js";

const CONTAINERS: ListFormat = {
  table: "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}",
  headers: {
    ID: "CONTAINER ID", Image: "IMAGE", Command: "COMMAND", CreatedAt: "CREATED AT", RunningFor: "CREATED", Status: "STATUS",
    State: "STATE", Ports: "PORTS", Names: "NAMES", Labels: "LABELS", Label: "LABEL", Size: "SIZE", Mounts: "MOUNTS", Networks: "NETWORKS",
  },
};

export interface PsFlags {
  all?: boolean;
  quiet?: boolean;
  latest?: boolean;
  last?: string;
  trunc: boolean;
  filter: string[];
  format?: string;
  size?: boolean;
}

function row(engine: Engine, c: ContainerRecord, trunc: boolean, now: number, size: boolean) {
  const cmd = [...(c.config.Entrypoint ?? []), ...c.config.Cmd].join(" ");
  const command = trunc && cmd.length > 20 ? `"${cmd.slice(0, 19)}…"` : `"${cmd}"`;
  const created = `${humanDuration(now - Date.parse(c.created))} ago`;
  return {
    ID: trunc ? c.id.slice(0, 12) : c.id,
    Image: c.image || c.hostConfig.Rootfs,
    Command: command,
    CreatedAt: c.created,
    RunningFor: created,
    Status: statusText(c, now, humanDuration),
    State: c.state.status,
    Ports: portsText(engine.networks.containerPorts(c)),
    Names: c.name,
    Labels: Object.entries(c.config.Labels).map(([k, v]) => `${k}=${v}`).join(","),
    Label: (k: string) => c.config.Labels[k] ?? "",
    Mounts: (c.hostConfig.Volumes ?? []).map((v) => (trunc ? v.slice(0, 15) : v)).join(","),
    Networks: c.hostConfig.NetworkMode,
    Size: size ? sizeText(engine, c) : "",
  };
}

/** docker's "2B (virtual 4.3MB)": the writable layer, and that with the image. */
function sizeText(engine: Engine, c: ContainerRecord): string {
  const { SizeRw, SizeRootFs } = engine.size(c);
  return `${humanSize(SizeRw)} (virtual ${humanSize(SizeRootFs)})`;
}

export async function psCommand(engine: Engine, f: PsFlags): Promise<void> {
  // docker's -n: -1 (unset) lists as usual; any other number lists all states, and limits only when above 0.
  const last = f.last === undefined ? -1 : intFlag("-n, --last", f.last);
  // ps is where a user looks for what is left: the full sweep, not just killed commands.
  await engine.sweep();
  const networks = (c: ContainerRecord) => Object.entries(engine.inspect(c.id).NetworkSettings.Networks).flatMap(([name, ep]) => [name, ep.NetworkID]);
  const filter = containerFilter(f.filter, () => engine.containers.all(), { networks, ports: (c) => engine.networks.containerPorts(c) });
  let list = await engine.list(Boolean(f.all || f.latest || last !== -1 || filtersListAll(f.filter)));
  list = list.filter(filter);
  if (f.latest) list = list.slice(0, 1);
  if (last > 0) list = list.slice(0, last);
  const now = Date.now();
  // The size costs a walk of each writable layer: only when it is asked for, as docker.
  const size = Boolean(f.size || f.format?.includes(".Size"));
  const rows = list.map((c) => row(engine, c, f.trunc !== false, now, size));
  if (f.quiet) {
    process.stdout.write(rows.map((r) => r.ID + "\n").join(""));
    return;
  }
  process.stdout.write(formatList(rows, f.format, f.size ? { ...CONTAINERS, table: `${CONTAINERS.table}\t{{.Size}}` } : CONTAINERS));
}
