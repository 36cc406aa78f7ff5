// Container commands: ps, create, start, stop, restart, kill, wait, rm, rename, logs,
// attach, inspect, exec, cp, container prune — each a few lines over the engine.
import { confirmed } from "../confirm.js";
import { Command } from "commander";
import type { Context } from "../context.js";
import { collect, intFlag } from "../flags.js";
import { forEachName, parsingFlags } from "../output.js";
import { MydockerError } from "../../util/errors.js";
import { CidFile } from "../cidfile.js";
import type { PsFlags } from "./ps.js";
import type { ExecFlags } from "./exec.js";
import { addCreateFlags, createOptionsFromFlags, type CreateFlags } from "./run.js";


export function registerContainers(program: Command, ctx: Context): void {
  const engine = () => ctx.engine();

  const psFlags = (c: Command) =>
    c
      .description("List containers")
      .option("-a, --all", "show all containers (default shows just running)")
      .option("-q, --quiet", "only display container IDs")
      .option("-l, --latest", "show the latest created container")
      .option("-n, --last <n>", "show n last created containers")
      .option("-s, --size", "display total file sizes")
      .option("--no-trunc", "don't truncate output")
      .option("-f, --filter <filter>", "filter output based on conditions provided", collect, [])
      .option("--format <format>", "format output: json, table or a Go template")
      .action(async (f: PsFlags) => {
        const { psCommand } = await import("./ps.js");
        await psCommand(await engine(), f);
      });
  psFlags(program.command("ps"));

  addCreateFlags(program.command("create").description("Create a new container")).action(async (image: string, command: string[], flags: CreateFlags) => {
    const opts = parsingFlags(() => createOptionsFromFlags(image, command, flags));
    const e = await engine();
    process.stdout.write((await CidFile.around(flags.cidfile, () => e.create(opts))) + "\n");
  });

  program
    .command("start")
    .description("Start one or more stopped containers")
    .option("-a, --attach", "attach STDOUT/STDERR and forward signals")
    .option("-i, --interactive", "attach container's STDIN")
    .option("--detach-keys <keys>", "override the key sequence for detaching a container (default ctrl-p,ctrl-q)")
    .argument("<container...>")
    .action(async (names: string[], f: { attach?: boolean; interactive?: boolean; detachKeys?: string }) => {
      const e = await engine();
      if (f.attach || f.interactive) {
        if (names.length > 1) throw new MydockerError("EINVAL", "you cannot start and attach multiple containers at once");
        const { startAttachedCommand } = await import("./attach.js");
        await startAttachedCommand(e, names[0]!, { stdin: Boolean(f.interactive), sigProxy: true, detachKeys: f.detachKeys });
        return;
      }
      await forEachName(names, async (n) => void (await e.start(n)));
    });

  program
    .command("attach")
    .description("Attach local standard input, output, and error streams to a running container")
    .option("--no-stdin", "do not attach STDIN")
    .option("--sig-proxy", "proxy all received signals to the process", true)
    .option("--detach-keys <keys>", "override the key sequence for detaching a container (default ctrl-p,ctrl-q)")
    .argument("<container>")
    .action(async (name: string, f: { stdin: boolean; sigProxy: boolean; detachKeys?: string }) => {
      const { attachCommand } = await import("./attach.js");
      await attachCommand(await engine(), name, { stdin: f.stdin, sigProxy: f.sigProxy, detachKeys: f.detachKeys });
    });

  for (const verb of ["stop", "restart"] as const) {
    program
      .command(verb)
      .description(verb === "stop" ? "Stop one or more running containers" : "Restart one or more containers")
      .option("-t, --time <seconds>", "seconds to wait before killing the container")
      .argument("<container...>")
      .action(async (names: string[], f: { time?: string }) => {
        const timeout = f.time === undefined ? undefined : intFlag("-t, --time", f.time);
        const e = await engine();
        await forEachName(names, async (n) => {
          await e.stop(n, timeout);
          if (verb === "restart") await e.start(n);
        });
      });
  }

  program
    .command("cp")
    .description("Copy files/folders between a container and the local filesystem (- for a tar stream)")
    .option("-a, --archive", "archive mode (copy all uid/gid information)")
    .option("-L, --follow-link", "always follow symbol link in SRC_PATH")
    .option("-q, --quiet", "suppress progress output")
    .argument("<src>", "CONTAINER:SRC_PATH, a local path, or - (a tar stream on stdin)")
    .argument("<dest>", "CONTAINER:DEST_PATH, a local path, or - (a tar stream on stdout)")
    .action(async (src: string, dest: string, f: { archive?: boolean; followLink?: boolean }) => {
      const { copyCommand } = await import("./cp.js");
      await copyCommand(await engine(), src, dest, { archive: f.archive, followLink: f.followLink });
    });

  program
    .command("kill")
    .description("Kill one or more running containers")
    .option("-s, --signal <signal>", "signal to send to the container", "KILL")
    .argument("<container...>")
    .action(async (names: string[], f: { signal: string }) => {
      const e = await engine();
      await forEachName(names, async (n) => void (await e.kill(n, f.signal)));
    });

  program
    .command("wait")
    .description("Block until one or more containers stop, then print their exit codes")
    .argument("<container...>")
    .action(async (names: string[]) => {
      const e = await engine();
      await forEachName(names, async (n) => String(await e.wait(n)));
    });

  program
    .command("rm")
    .description("Remove one or more containers")
    .option("-f, --force", "force the removal of a running container (uses SIGKILL)")
    .option("-v, --volumes", "remove anonymous volumes associated with the container")
    .argument("<container...>")
    .action(async (names: string[], f: { force?: boolean; volumes?: boolean }) => {
      const e = await engine();
      await forEachName(names, async (n) => void (await e.remove(n, { force: f.force, volumes: f.volumes })));
    });

  program
    .command("rename")
    .description("Rename a container")
    .argument("<container>")
    .argument("<new-name>")
    .action(async (name: string, newName: string) => {
      const e = await engine();
      e.rename(name, newName);
    });

  program
    .command("logs")
    .description("Fetch the logs of a container")
    .option("-f, --follow", "follow log output")
    .option("-n, --tail <n>", "number of lines to show from the end of the logs", "all")
    .option("-t, --timestamps", "show timestamps")
    .option("--details", "show extra details provided to logs")
    .option("--since <time>", "show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m)")
    .option("--until <time>", "show logs before a timestamp or relative")
    .argument("<container>")
    .action(async (name: string, f: { follow?: boolean; tail: string; timestamps?: boolean; details?: boolean; since?: string; until?: string }) => {
      const { logsCommand } = await import("./logs.js");
      await logsCommand(await engine(), name, f);
    });

  program
    .command("inspect")
    .description("Return low-level information on containers or images")
    .option("-f, --format <format>", "format the output using a Go template, or json")
    .option("--type <type>", "return JSON for the specified type: container, image or volume")
    .option("-s, --size", "display total file sizes if the type is container")
    .argument("<name...>")
    .action(async (names: string[], f: { format?: string; type?: string; size?: boolean }) => {
      const { inspectCommand } = await import("./inspect.js");
      await inspectCommand(await engine(), names, f);
    });

  program
    .command("exec")
    .description("Execute a command in a running container")
    .option("-d, --detach", "run the command in the background")
    .option("-i, --interactive", "keep STDIN open")
    .option("-t, --tty", "allocate a pseudo-TTY")
    .option("-e, --env <K=V>", "set environment variables", collect, [])
    .option("--env-file <file>", "read in a file of environment variables", collect, [])
    .option("-u, --user <user>", "username or UID (format: <name|uid>[:<group|gid>])")
    .option("-w, --workdir <dir>", "working directory inside the container")
    .option("--privileged", "give extended privileges to the command")
    .option("--detach-keys <keys>", "override the key sequence for detaching a container (default ctrl-p,ctrl-q)")
    .argument("<container>")
    .argument("<command...>")
    .passThroughOptions()
    .action(async (name: string, cmd: string[], f: ExecFlags) => {
      const { execCommand } = await import("./exec.js");
      await execCommand(await engine(), name, cmd, f);
    });

  const diff = async (name: string) => {
    const changes = (await engine()).files.diff(name);
    process.stdout.write(changes.map((c) => `${"CAD"[c.Kind]} ${c.Path}\n`).join(""));
  };
  program.command("diff").description("Inspect changes to files or directories on a container's filesystem").argument("<container>").action(diff);

  const container = program.command("container").description("Manage containers");
  container.command("diff").description("Inspect changes to files or directories on a container's filesystem").argument("<container>").action(diff);
  container
    .command("prune")
    .description("Remove all stopped containers")
    .option("-f, --force", "do not prompt for confirmation")
    .option("--filter <filter>", "until=TIME, label=K[=V], label!=K[=V]", collect, [])
    .action(async (f: { force?: boolean; filter: string[] }) => {
      const { containerPruneFilter } = await import("../../engine/prune-filters.js");
      const only = containerPruneFilter(f.filter);
      if (!(await confirmed(f.force, "WARNING! This will remove all stopped containers."))) return;
      const { deleted, spaceReclaimed } = await (await engine()).prune(only);
      const { humanSize } = await import("../format.js");
      process.stdout.write(deleted.length ? `Deleted Containers:\n${deleted.join("\n")}\n\n` : "");
      process.stdout.write(`Total reclaimed space: ${humanSize(spaceReclaimed)}\n`);
    });
  container
    .command("cleanup", { hidden: true })
    .description("Run by a container's monitor when it exits: records the exit and releases its resources")
    .argument("<id>")
    .option("--network-run <tag>", "the run whose network to release (its netavark id)")
    .action(async (id: string, o: { networkRun?: string }) => {
      const e = await ctx.engine({ sweep: false });
      await e.cleanupAfterExit(id, o.networkRun);
    });
  container
    .command("restarted", { hidden: true })
    .description("Run by a container's monitor at each restart it makes: `die CODE UNIX_NANOS` (it will run again), then `start UNIX_NANOS`")
    .argument("<id>")
    .argument("<event>")
    .argument("<values...>")
    .action(async (id: string, event: string, values: string[]) => {
      const e = await ctx.engine({ sweep: false });
      if (event === "die" && values.length === 2) e.restartedByMonitor(id, { died: Number(values[0]), at: BigInt(values[1]!) });
      else if (event === "start" && values.length === 1) e.restartedByMonitor(id, { startedAt: BigInt(values[0]!) });
      else throw new MydockerError("EINVAL", `container restarted: use ID die CODE UNIX_NANOS or ID start UNIX_NANOS`);
    });
  container
    .command("exec-exited", { hidden: true })
    .description("Run by a detached exec's monitor when its process ended: records docker's exec_die")
    .argument("<id>")
    .argument("<exec-id>")
    .action(async (id: string, execId: string) => {
      const e = await ctx.engine({ sweep: false });
      e.execExits.exited(id, execId);
    });
  psFlags(container.command("ls").aliases(["list", "ps"]));
}
