// volume create|ls|inspect|rm|prune.
import { confirmed } from "../confirm.js";
import { Command } from "commander";
import type { Context } from "../context.js";
import { collect } from "../flags.js";
import { ExitError } from "../output.js";
import { formatList, humanSize, type ListFormat } from "../format.js";

const VOLUMES: ListFormat = {
  table: "{{.Driver}}\t{{.Name}}",
  headers: { Driver: "DRIVER", Name: "VOLUME NAME", Mountpoint: "MOUNTPOINT", Scope: "SCOPE", Labels: "LABELS", Label: "LABEL" },
};

export function registerVolumes(program: Command, ctx: Context): void {
  const engine = () => ctx.engine();
  const volume = program.command("volume").description("Manage volumes");
  volume
    .command("create")
    .description("Create a volume")
    .option("-d, --driver <name>", "volume driver name", "local")
    .option("--label <K=V>", "set metadata for a volume", collect, [])
    .argument("[name]")
    .action(async (name: string | undefined, f: { driver: string; label: string[] }) => {
      const e = await engine();
      const labels = Object.fromEntries(f.label.map((l) => [l.split("=", 1)[0]!, l.slice(l.indexOf("=") + 1)]));
      process.stdout.write(e.volumes.create(name, { labels, driver: f.driver }).Name + "\n");
    });
  const ls = async (f: { quiet?: boolean; format?: string; filter: string[] }) => {
    const e = await engine();
    const { parseVolumeFilters } = await import("../../engine/volumes/store.js");
    const vols = e.volumes.list(parseVolumeFilters(f.filter), e.volumeUsers);
    if (f.quiet) process.stdout.write(vols.map((v) => v.Name + "\n").join(""));
    else {
      const rows = vols.map((v) => ({
        ...v,
        Labels: Object.entries(v.Labels ?? {}).map(([k, val]) => `${k}=${val}`).join(","),
        Label: (k: string) => v.Labels?.[k] ?? "",
      }));
      process.stdout.write(formatList(rows, f.format, VOLUMES));
    }
  };
  volume
    .command("ls")
    .alias("list")
    .description("List volumes")
    .option("-q, --quiet", "only display volume names")
    .option("--format <format>", "format output: json or a Go template")
    .option("-f, --filter <filter>", "filter output (dangling=true, name=, label=)", collect, [])
    .action(ls);
  volume
    .command("inspect")
    .description("Display detailed information on one or more volumes")
    .option("-f, --format <format>")
    .argument("<volume...>")
    .action(async (names: string[], f: { format?: string }) => {
      const { inspectCommand } = await import("./inspect.js");
      await inspectCommand(await engine(), names, { format: f.format, type: "volume" });
    });
  volume
    .command("rm")
    .alias("remove")
    .description("Remove one or more volumes")
    .option("-f, --force", "force the removal of one or more volumes")
    .argument("<volume...>")
    .action(async (names: string[], f: { force?: boolean }) => {
      const e = await engine();
      let failed = false;
      for (const n of names) {
        try {
          e.volumes.remove(n, e.volumeUsers, { force: f.force });
          process.stdout.write(n + "\n");
        } catch (err) {
          failed = true;
          process.stderr.write(`mydocker: Error response from daemon: ${(err as Error).message}\n`);
        }
      }
      if (failed) throw new ExitError(1);
    });
  volume
    .command("prune")
    .description("Remove unused local volumes")
    .option("-a, --all", "remove all unused volumes, not just anonymous ones")
    .option("-f, --force", "do not prompt for confirmation")
    .action(async (f: { all?: boolean; force?: boolean }) => {
      const which = f.all ? "all local volumes" : "anonymous local volumes";
      if (!(await confirmed(f.force, `WARNING! This will remove ${which} not used by at least one container.`))) return;
      const e = await engine();
      const r = e.volumes.prune(e.volumeUsers, { all: f.all });
      if (r.deleted.length) process.stdout.write(`Deleted Volumes:\n${r.deleted.join("\n")}\n\n`);
      process.stdout.write(`Total reclaimed space: ${humanSize(r.spaceReclaimed)}\n`);
    });
}
