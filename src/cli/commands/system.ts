// version, info, events and system prune: the engine as a whole.
import { Command } from "commander";
import type { Context } from "../context.js";
import { collect } from "../flags.js";
import { humanSize, imageRemovalLines, statusTemplate } from "../format.js";
import { confirmed } from "../confirm.js";
import { API_VERSION, goArch, packageVersion, serverVersion } from "../../engine/system/version.js";
import type { SystemInfo } from "../../engine/system/info.js";

/** Go's tabwriter as docker version uses it: the label column at least 20 wide. */
function aligned(lines: string[]): string {
  const width = Math.max(20, ...lines.map((l) => (l.includes("\t") ? l.indexOf("\t") + 1 : 0)));
  return lines.map((l) => (l.includes("\t") ? l.slice(0, l.indexOf("\t")).padEnd(width) + l.slice(l.indexOf("\t") + 1) : l)).join("\n") + "\n";
}

function clientVersion() {
  return {
    Platform: { Name: "" },
    Version: packageVersion(),
    ApiVersion: API_VERSION,
    DefaultAPIVersion: API_VERSION,
    GitCommit: "",
    GoVersion: process.version,
    Os: "linux",
    Arch: goArch(),
    BuildTime: "",
    Context: "default",
  };
}

function versionText(v: { Client: ReturnType<typeof clientVersion>; Server: ReturnType<typeof serverVersion> }): string {
  const c = v.Client;
  const s = v.Server;
  const d = s.Components[0]!.Details!;
  return aligned([
    "Client:",
    ` Version:\t${c.Version}`,
    ` API version:\t${c.ApiVersion}`,
    ` Node version:\t${c.GoVersion}`,
    ` OS/Arch:\t${c.Os}/${c.Arch}`,
    ` Context:\t${c.Context}`,
    "",
    `Server: ${s.Platform.Name}`,
    " Engine:",
    `  Version:\t${s.Version}`,
    `  API version:\t${d.ApiVersion} (minimum version ${d.MinAPIVersion})`,
    `  Node version:\t${d.NodeVersion}`,
    `  OS/Arch:\t${d.Os}/${d.Arch}`,
    `  Kernel version:\t${d.KernelVersion}`,
    `  Experimental:\t${d.Experimental}`,
  ]);
}

/** units.BytesSize: binary units, four significant digits ("3.834GiB"). */
function bytesSize(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${Number(n.toPrecision(4))}${units[i]}`;
}

function infoText(i: SystemInfo, debug: boolean): string {
  const security = i.SecurityOptions.flatMap((o) => {
    const kv = Object.fromEntries(o.split(",").map((p) => p.split("=", 2) as [string, string]));
    return [`  ${kv.name}`, ...Object.entries(kv).filter(([k]) => k !== "name").map(([k, v]) => `   ${k[0]!.toUpperCase()}${k.slice(1)}: ${v}`)];
  });
  return [
    "Client:",
    ` Version:    ${packageVersion()}`,
    " Context:    default",
    ` Debug Mode: ${debug}`,
    "",
    "Server:",
    ` Containers: ${i.Containers}`,
    `  Running: ${i.ContainersRunning}`,
    `  Paused: ${i.ContainersPaused}`,
    `  Stopped: ${i.ContainersStopped}`,
    ` Images: ${i.Images}`,
    ` Server Version: ${i.ServerVersion}`,
    ` Storage Driver: ${i.Driver}`,
    ...i.DriverStatus.map(([k, v]) => `  ${k}: ${v}`),
    ` Logging Driver: ${i.LoggingDriver}`,
    ` Cgroup Driver: ${i.CgroupDriver}`,
    ` Cgroup Version: ${i.CgroupVersion}`,
    " Plugins:",
    `  Volume: ${i.Plugins.Volume.join(" ")}`,
    `  Network: ${i.Plugins.Network.join(" ")}`,
    `  Log: ${i.Plugins.Log.join(" ")}`,
    " Swarm: inactive",
    ` Runtimes: ${Object.keys(i.Runtimes).join(" ")}`,
    ` Default Runtime: ${i.DefaultRuntime}`,
    " Security Options:",
    ...security,
    ` Kernel Version: ${i.KernelVersion}`,
    ` Operating System: ${i.OperatingSystem}`,
    ` OSType: ${i.OSType}`,
    ` Architecture: ${i.Architecture}`,
    ` CPUs: ${i.NCPU}`,
    ` Total Memory: ${bytesSize(i.MemTotal)}`,
    ` Name: ${i.Name}`,
    ` ID: ${i.ID}`,
    ` Docker Root Dir: ${i.DockerRootDir}`,
    ` Debug Mode: ${i.Debug}`,
    ` Experimental: ${i.ExperimentalBuild}`,
    ` Live Restore Enabled: ${i.LiveRestoreEnabled}`,
    "",
  ].join("\n");
}

/** docker's [y/N] prompt: only y or yes goes on; no input (a closed stdin) is no. */
export function registerSystem(program: Command, ctx: Context): void {
  const engine = () => ctx.engine();

  program
    .command("version")
    .description("Show the mydocker version information")
    .option("-f, --format <format>", "format the output using a Go template, or json")
    .action((f: { format?: string }) => {
      const v = { Client: clientVersion(), Server: serverVersion() };
      if (!f.format) process.stdout.write(versionText(v));
      else process.stdout.write(statusTemplate(f.format === "json" ? "{{json .}}" : f.format)(v) + "\n");
    });

  const info = async (f: { format?: string }) => {
    const render = f.format ? statusTemplate(f.format === "json" ? "{{json .}}" : f.format) : undefined;
    const i = await (await engine()).system.info();
    const debug = ctx.flags().debug;
    if (render) {
      const value = { ...i, ClientInfo: { Debug: debug, Context: "default", Version: packageVersion() } };
      process.stdout.write(render(value) + "\n");
      return;
    }
    process.stdout.write(infoText(i, debug));
    for (const w of i.Warnings) process.stderr.write(w + "\n");
  };
  const infoFlags = (c: Command) => c.option("-f, --format <format>", "format the output using a Go template, or json").action(info);
  infoFlags(program.command("info").description("Display system-wide information"));

  const events = async (f: { filter: string[]; since?: string; until?: string; format?: string }) => {
    const { eventsCommand } = await import("./events.js");
    await eventsCommand(await engine(), f);
  };
  const eventsFlags = (c: Command) =>
    c
      .option("-f, --filter <filter>", "filter output based on conditions provided", collect, [])
      .option("--since <time>", "show all events created since timestamp")
      .option("--until <time>", "stream events until this timestamp")
      .option("--format <format>", "format the output using a Go template, or json")
      .action(events);
  eventsFlags(program.command("events").description("Get real time events from the engine"));

  const system = program.commands.find((c) => c.name() === "system") ?? program.command("system").description("Manage mydocker");
  infoFlags(system.command("info").description("Display system-wide information"));
  eventsFlags(system.command("events").description("Get real time events from the engine"));
  system
    .command("prune")
    .description("Remove unused data")
    .option("-a, --all", "remove all unused images, not just dangling ones")
    .option("--volumes", "prune anonymous volumes")
    .option("-f, --force", "do not prompt for confirmation")
    .action(async (f: { all?: boolean; volumes?: boolean; force?: boolean }) => {
      const e = await engine();
      const warning = [
        "WARNING! This will remove:",
        "  - all stopped containers",
        "  - all networks not used by at least one container",
        ...(f.volumes ? ["  - all anonymous volumes not used by at least one container"] : []),
        f.all ? "  - all images without at least one container associated to them" : "  - all dangling images",
        "",
      ].join("\n");
      if (!(await confirmed(f.force, warning))) return;
      const r = await e.system.prune({ all: f.all, volumes: f.volumes });
      const section = (title: string, items: string[]) => (items.length ? `${title}:\n${items.join("\n")}\n\n` : "");
      process.stdout.write(
        section("Deleted Containers", r.containers) +
          section("Deleted Networks", r.networks) +
          section("Deleted Volumes", r.volumes) +
          section("Deleted Images", imageRemovalLines(r.images)) +
          `Total reclaimed space: ${humanSize(r.spaceReclaimed)}\n`,
      );
    });
}
