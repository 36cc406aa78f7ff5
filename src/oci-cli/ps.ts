// ps: the processes of a container (its cgroup), as pids (json) or ps(1)'s table.
import type { Command } from "commander";
import { spawnSync } from "node:child_process";
import { MydockerError } from "../util/errors.js";
import { notRunning } from "./bundle.js";
import type { OciContext } from "./context.js";
import { writeFd } from "./log.js";
import { stateOf } from "./state.js";

/** The lines of `ps ARGS` whose PID column holds one of pids (runc's filter). */
function psTable(pids: readonly number[], psArgs: string[]): string {
  const r = spawnSync("ps", psArgs.length ? psArgs : ["-ef"], { encoding: "utf8" });
  if (r.status !== 0) throw new MydockerError("ps-failed", `ps ${psArgs.join(" ")}: ${r.error?.message ?? r.stderr.trim()}`);
  const [header = "", ...lines] = r.stdout.split("\n");
  const col = header.trim().split(/\s+/).indexOf("PID");
  if (col < 0) throw new MydockerError("ps-failed", "ps printed no PID column");
  const wanted = new Set(pids);
  return [header, ...lines.filter((l) => wanted.has(Number(l.trim().split(/\s+/)[col])))].join("\n") + "\n";
}

export function registerPs(program: Command, ctx: () => OciContext): void {
  program
    .command("ps <container-id> [ps-args...]")
    .description("list the processes of a container")
    // What follows the container id is the command's own (sh -c ...), not ours.
    .passThroughOptions()
    .option("-f, --format <format>", "table or json", "table")
    .action((id: string, psArgs: string[], f: { format: string }) => {
      const c = ctx();
      if (f.format !== "table" && f.format !== "json") throw new MydockerError("invalid-flag", `invalid format "${f.format}": table or json`);
      const st = stateOf(c, id);
      if (st.status === "stopped") throw notRunning();
      const pids = c.runtime().pids(id);
      writeFd(1, f.format === "json" ? `${JSON.stringify(pids)}\n` : psTable(pids, psArgs));
    });
}
