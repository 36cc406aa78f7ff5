// network create|ls|inspect|rm|prune|connect|disconnect, and port.
import { confirmed } from "../confirm.js";
import { Command } from "commander";
import type { Context } from "../context.js";
import { collect } from "../flags.js";
import { MydockerError } from "../../util/errors.js";
import { forEachName } from "../output.js";
import { formatList, type ListFormat } from "../format.js";

const NETWORKS: ListFormat = {
  table: "{{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
  headers: { ID: "NETWORK ID", Name: "NAME", Driver: "DRIVER", Scope: "SCOPE", IPv6: "IPV6", Internal: "INTERNAL", Labels: "LABELS", CreatedAt: "CREATED AT" },
};

function keyValues(list: string[], what: string): Record<string, string> {
  return Object.fromEntries(
    list.map((l) => {
      const i = l.indexOf("=");
      if (what === "option" && i < 0) throw new MydockerError("EINVAL", `invalid option ${l}: give KEY=VALUE`);
      return i < 0 ? [l, ""] : [l.slice(0, i), l.slice(i + 1)];
    }),
  );
}

export function registerNetwork(program: Command, ctx: Context): void {
  const engine = () => ctx.engine();
  const network = program.command("network").description("Manage networks");
  network
    .command("create")
    .description("Create a network")
    .option("-d, --driver <driver>", "driver to manage the network", "bridge")
    .option("--subnet <cidr>", "subnet in CIDR format")
    .option("--gateway <ip>", "IPv4 gateway for the subnet")
    .option("--ip-range <cidr>", "allocate container addresses from a sub-range")
    .option("--internal", "restrict external access to the network")
    .option("--label <K=V>", "set metadata on a network", collect, [])
    .option("-o, --opt <K=V>", "set driver specific options", collect, [])
    .argument("<name>")
    .action(async (name: string, f: { driver: string; subnet?: string; gateway?: string; ipRange?: string; internal?: boolean; label: string[]; opt: string[] }) => {
      if (f.driver !== "bridge") throw new MydockerError("EINVAL", `plugin "${f.driver}" not found: only the bridge driver is supported`);
      const e = await engine();
      const n = e.networks.create({ name, subnet: f.subnet, gateway: f.gateway, ipRange: f.ipRange, internal: f.internal, labels: keyValues(f.label, "label"), options: keyValues(f.opt, "option") });
      process.stdout.write(n.id + "\n");
    });
  network
    .command("ls")
    .alias("list")
    .description("List networks")
    .option("-q, --quiet", "only display network IDs")
    .option("--no-trunc", "do not truncate the output")
    .option("--format <format>", "format output: json or a Go template")
    .option("-f, --filter <filter>", "filter output (name=, id=, label=, driver=, type=custom|builtin, dangling=)", collect, [])
    .action(async (f: { quiet?: boolean; trunc: boolean; format?: string; filter: string[] }) => {
      const e = await engine();
      // As docker's CLI: by name, digits as numbers.
      const byName = e.networks.list(f.filter).sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
      const rows = byName.map((n) => ({
        ID: f.trunc === false ? n.id : n.id.slice(0, 12),
        Name: n.name,
        Driver: n.driver,
        Scope: "local",
        IPv6: "false",
        Internal: String(n.internal),
        Labels: Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(","),
        CreatedAt: n.created,
      }));
      if (f.quiet) process.stdout.write(rows.map((r) => r.ID + "\n").join(""));
      else process.stdout.write(formatList(rows, f.format, NETWORKS));
    });
  network
    .command("inspect")
    .description("Display detailed information on one or more networks")
    .option("-f, --format <format>")
    .argument("<network...>")
    .action(async (names: string[], f: { format?: string }) => {
      const { inspectCommand } = await import("./inspect.js");
      await inspectCommand(await engine(), names, { format: f.format, type: "network" });
    });
  network
    .command("rm")
    .alias("remove")
    .description("Remove one or more networks")
    .argument("<network...>")
    .action(async (names: string[]) => {
      const e = await engine();
      await forEachName(names, async (n) => {
        e.networks.remove(n);
      });
    });
  network
    .command("prune")
    .description("Remove all unused networks")
    .option("-f, --force", "do not prompt for confirmation")
    .option("--filter <filter>", "until=TIME, label=K[=V], label!=K[=V]", collect, [])
    .action(async (f: { force?: boolean; filter: string[] }) => {
      const { networkPruneFilter } = await import("../../engine/prune-filters.js");
      const only = networkPruneFilter(f.filter);
      if (!(await confirmed(f.force, "WARNING! This will remove all custom networks not used by at least one container."))) return;
      const removed = await (await engine()).networks.prune(only);
      if (removed.length) process.stdout.write(`Deleted Networks:\n${removed.join("\n")}\n`);
    });
  network
    .command("connect")
    .description("Connect a container to a network")
    .option("--ip <address>", "IPv4 address")
    .option("--alias <name>", "add a network-scoped alias for the container", collect, [])
    .argument("<network>")
    .argument("<container>")
    .action(async (net: string, ctr: string, f: { ip?: string; alias: string[] }) => {
      await (await engine()).networks.connect(net, ctr, { ip: f.ip, aliases: f.alias });
    });
  network
    .command("disconnect")
    .description("Disconnect a container from a network")
    .option("-f, --force", "force the container to disconnect from a network")
    .argument("<network>")
    .argument("<container>")
    .action(async (net: string, ctr: string) => {
      await (await engine()).networks.disconnect(net, ctr);
    });

  program
    .command("port")
    .description("List port mappings or a specific mapping for the container")
    .argument("<container>")
    .argument("[port]", "PORT[/PROTO]")
    .action(async (ctr: string, port: string | undefined) => {
      const e = await engine();
      const ports = e.networks.containerPorts(ctr);
      if (port === undefined) {
        const lines = Object.entries(ports).flatMap(([key, list]) => (list ?? []).map((p) => `${key} -> ${p.HostIp}:${p.HostPort}`));
        process.stdout.write(lines.map((l) => l + "\n").join(""));
        return;
      }
      const key = port.includes("/") ? port : `${port}/tcp`;
      const list = ports[key];
      if (!list) throw new MydockerError("ENOPORT", `No public port '${key}' published for ${ctr}`);
      process.stdout.write(list.map((p) => `${p.HostIp}:${p.HostPort}\n`).join(""));
    });
}
