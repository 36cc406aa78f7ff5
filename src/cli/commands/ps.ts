// docker ps: CONTAINER ID, IMAGE, COMMAND, CREATED, STATUS, PORTS, NAMES.
import type { Engine } from "../../engine/engine.js";
import type { ContainerRecord } from "../../engine/container-store.js";
import { statusText } from "../../engine/inspect.js";
import { MydockerError } from "../../util/errors.js";
import { formatList, humanDuration, type ListFormat } from "../format.js";

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
}

const STATUSES = new Set(["created", "restarting", "running", "removing", "paused", "exited", "dead"]);

const PROBE = { id: "", name: "", image: "", imageId: "", state: { status: "" }, config: { Labels: {} } } as unknown as ContainerRecord;

function matches(c: ContainerRecord, filters: string[]): boolean {
  return filters.every((f) => {
    const i = f.indexOf("=");
    if (i < 0) throw new MydockerError("EINVAL", `bad format of filter (expected name=value): ${f}`);
    const key = f.slice(0, i);
    const value = f.slice(i + 1);
    switch (key) {
      case "status":
        if (!STATUSES.has(value)) throw new MydockerError("EINVAL", `invalid filter 'status=${value}': use created, restarting, running, removing, paused, exited or dead`);
        return c.state.status === value;
      case "name":
        return c.name.includes(value.replace(/^\//, ""));
      case "id":
        return c.id.startsWith(value);
      case "label": {
        const [k, v] = value.split("=", 2);
        return k! in c.config.Labels && (v === undefined || c.config.Labels[k!] === v);
      }
      case "ancestor":
        return c.image === value || c.imageId.startsWith(value) || c.imageId.startsWith(`sha256:${value}`);
      default:
        throw new MydockerError("EINVAL", `invalid filter '${key}'`);
    }
  });
}

function row(c: ContainerRecord, trunc: boolean, now: number) {
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
    Ports: "",
    Names: c.name,
    Labels: Object.entries(c.config.Labels).map(([k, v]) => `${k}=${v}`).join(","),
    Label: (k: string) => c.config.Labels[k] ?? "",
  };
}

export async function psCommand(engine: Engine, f: PsFlags): Promise<void> {
  // ps is where a user looks for what is left: the full sweep, not just killed commands.
  await engine.sweep();
  let list = await engine.list(Boolean(f.all || f.latest || f.last || f.filter.length));
  // A bad filter is refused even when no container is there to test it on.
  for (const one of f.filter) matches(PROBE, [one]);
  list = list.filter((c) => matches(c, f.filter));
  if (f.latest) list = list.slice(0, 1);
  if (f.last !== undefined) list = list.slice(0, Number(f.last));
  const now = Date.now();
  const rows = list.map((c) => row(c, f.trunc !== false, now));
  if (f.quiet) {
    process.stdout.write(rows.map((r) => r.ID + "\n").join(""));
    return;
  }
  process.stdout.write(formatList(rows, f.format, CONTAINERS));
}
