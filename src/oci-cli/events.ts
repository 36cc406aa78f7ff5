// events: the container's cgroup statistics as runc's JSON events, once (--stats) or
// every --interval until the container stops.
import type { Command } from "commander";
import { MydockerError } from "../util/errors.js";
import type { OciContext } from "./context.js";
import { notRunning } from "./bundle.js";
import { writeFd } from "./log.js";
import { stateOf } from "./state.js";

/** "5s", "500ms", "1m" -> milliseconds. */
function interval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (!m) throw new MydockerError("invalid-flag", `invalid --interval "${text}": a duration such as 5s or 500ms`);
  const n = Number(m[1]);
  return m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : n * 60_000;
}

function statsEvent(ctx: OciContext, id: string): string {
  const s = ctx.runtime().stats(id);
  const data = {
    cpu: { usage: { total: s.cpuUsageNanos } },
    memory: { usage: { usage: s.memoryUsage, limit: s.memoryLimit } },
    pids: { current: s.pids },
    blkio: { read: s.blkioReadBytes, write: s.blkioWriteBytes },
    oomKills: s.oomKills,
  };
  return `${JSON.stringify({ type: "stats", id, data })}\n`;
}

export function registerEvents(program: Command, ctx: () => OciContext): void {
  program
    .command("events <container-id>")
    .description("print the container's statistics as JSON events")
    .option("--stats", "print them once and exit")
    .option("--interval <duration>", "between two events", "5s")
    .action(async (id: string, f: { stats?: boolean; interval: string }) => {
      const c = ctx();
      const every = interval(f.interval);
      if (stateOf(c, id).status === "stopped") throw notRunning();
      if (f.stats) {
        writeFd(1, statsEvent(c, id));
        return;
      }
      while (stateOf(c, id).status !== "stopped") {
        writeFd(1, statsEvent(c, id));
        await new Promise((r) => setTimeout(r, every));
      }
    });
}
