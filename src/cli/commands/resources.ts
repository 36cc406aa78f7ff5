// stats, update, pause, unpause, top.
import { Command } from "commander";
import type { Context } from "../context.js";
import { forEachName } from "../output.js";
import { binarySize, formatList, humanSize, type ListFormat } from "../format.js";
import { addResourceFlags } from "./run.js";
import type { ResourceFlags } from "../../engine/resource-flags.js";

import { cpuPercent, type StatsSample } from "../../engine/containers/resources.js";

const STATS: ListFormat = {
  table: "{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}",
  headers: {
    ID: "CONTAINER ID", Container: "CONTAINER", Name: "NAME", CPUPerc: "CPU %", MemUsage: "MEM USAGE / LIMIT", MemPerc: "MEM %",
    NetIO: "NET I/O", BlockIO: "BLOCK I/O", PIDs: "PIDS",
  },
};

/** Between two readings of stats: the CPU % is the share of this interval. */
const INTERVAL_MS = 500;

export function registerResources(program: Command, ctx: Context): void {
  const engine = () => ctx.engine();
  program
    .command("pause")
    .description("Pause all processes within one or more containers")
    .argument("<container...>")
    .action(async (names: string[]) => {
      const e = await engine();
      await forEachName(names, async (n) => void (await e.pause(n)));
    });

  program
    .command("unpause")
    .description("Unpause all processes within one or more containers")
    .argument("<container...>")
    .action(async (names: string[]) => {
      const e = await engine();
      await forEachName(names, async (n) => void (await e.unpause(n)));
    });

  addResourceFlags(program.command("update").description("Update configuration of one or more containers"))
    .option("--restart <policy>", "restart policy to apply when a container exits")
    .argument("<container...>")
    .action(async (names: string[], f: ResourceFlags & { restart?: string }) => {
      const e = await engine();
      const { resourcesFromFlags } = await import("../../engine/resource-flags.js");
      const { parseRestartPolicy } = await import("../../engine/containers/restart-policy.js");
      const update = resourcesFromFlags(f, { update: true });
      const restart = f.restart === undefined ? undefined : parseRestartPolicy(f.restart);
      await forEachName(names, async (n) => void e.update(n, update, restart));
    });

  program
    .command("top")
    .description("Display the running processes of a container")
    .argument("<container>")
    .argument("[ps-options...]")
    .passThroughOptions()
    .allowUnknownOption()
    .action(async (name: string, psArgs: string[]) => {
      const e = await engine();
      const { titles, processes } = e.top(name, psArgs.length ? psArgs : undefined);
      // docker top's tabwriter: columns at least 20 wide, 3 spaces after the longest cell.
      const widths = titles.map((t, i) => Math.max(20, ...[t, ...processes.map((p) => p[i] ?? "")].map((c) => c.length + 3)));
      const line = (cells: string[]) => cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]!) : c)).join("") + "\n";
      process.stdout.write([titles, ...processes].map(line).join(""));
    });

  program
    .command("stats")
    .description("Display a live stream of container(s) resource usage statistics")
    .option("-a, --all", "show all containers (default shows just running)")
    .option("--no-stream", "disable streaming stats and only pull the first result")
    .option("--no-trunc", "do not truncate output")
    .option("--format <format>", "format output: json or a Go template")
    .argument("[container...]")
    .action(async (names: string[], f: { all?: boolean; stream: boolean; trunc: boolean; format?: string }) => {
      const e = await engine();
      const pick = async () => e.statsTargets(names, f.all);
      let targets = await pick();
      // The first reading shows each container's CPU share since it started (--no-stream needs
      // no other); the next ones, its share of the interval since the reading before, which
      // counts from that reading's start: reading many containers takes part of the interval.
      let readAt = 0;
      let prev = new Map<string, StatsSample>();
      const tty = Boolean(process.stdout.isTTY) && f.stream;
      for (let round = 0; ; round++) {
        if (round > 0) await new Promise((r) => setTimeout(r, Math.max(0, INTERVAL_MS - (Date.now() - readAt))));
        readAt = Date.now();
        const cur = e.sampleStats(targets);
        const rows = cur.map((s) => {
          const limit = s.stats.memoryLimit;
          return {
            ID: f.trunc === false ? s.id : s.id.slice(0, 12),
            Container: f.trunc === false ? s.id : s.id.slice(0, 12),
            Name: s.name,
            CPUPerc: `${cpuPercent(prev.get(s.id), s).toFixed(2)}%`,
            MemUsage: `${binarySize(s.stats.memoryUsage)} / ${binarySize(limit)}`,
            MemPerc: `${(limit > 0 ? (s.stats.memoryUsage / limit) * 100 : 0).toFixed(2)}%`,
            NetIO: "0B / 0B",
            BlockIO: `${humanSize(s.stats.blkioReadBytes)} / ${humanSize(s.stats.blkioWriteBytes)}`,
            PIDs: String(s.stats.pids),
          };
        });
        const text = formatList(rows, f.format, STATS);
        process.stdout.write(tty ? `\x1b[2J\x1b[H${text}` : text);
        if (!f.stream || round >= 100_000) return;
        prev = new Map(cur.map((s) => [s.id, s]));
        targets = await pick();
      }
    });
}
