// mydocker run / create: docker's flags, turned into the engine's CreateOptions.
import { Command, Option } from "commander";
import type { CreateOptions } from "../../engine/run-options.js";
import { collect, envFromFlags } from "../flags.js";
import type { Context } from "../context.js";

export interface RunFlags {
  rm?: boolean;
  interactive?: boolean;
  tty?: boolean;
  detach?: boolean;
  name?: string;
  hostname?: string;
  env: string[];
  envFile: string[];
  workdir?: string;
  user?: string;
  capAdd: string[];
  capDrop: string[];
  privileged?: boolean;
  rootfs?: string;
  entrypoint?: string;
  readOnly?: boolean;
  init?: boolean;
  label: string[];
}

export function addCreateFlags(cmd: Command): Command {
  return cmd
    .option("-i, --interactive", "keep STDIN open")
    .option("-t, --tty", "allocate a pseudo-TTY")
    .option("--name <name>", "assign a name to the container")
    .option("-h, --hostname <name>", "container host name")
    .option("-e, --env <K=V>", "set environment variables", collect, [])
    .option("--env-file <file>", "read in a file of environment variables", collect, [])
    .option("-w, --workdir <dir>", "working directory inside the container")
    .option("-u, --user <user[:group]>", "username or UID (format: <name|uid>[:<group|gid>])")
    .option("--cap-add <cap>", "add Linux capabilities", collect, [])
    .option("--cap-drop <cap>", "drop Linux capabilities", collect, [])
    .option("--privileged", "give extended privileges to this container")
    .option("--rootfs <dir>", "run in a prepared root filesystem directory instead of an image")
    .option("--entrypoint <cmd>", "overwrite the default ENTRYPOINT of the image")
    .option("--read-only", "mount the container's root filesystem as read only")
    .option("--init", "run an init inside the container that forwards signals and reaps processes")
    .option("-l, --label <K=V>", "set metadata on a container", collect, [])
    .argument("<image>", "the image (or, with --rootfs, the command)")
    .argument("[command...]", "the command and its arguments")
    .passThroughOptions();
}

export function createOptionsFromFlags(image: string, command: string[], f: RunFlags): CreateOptions {
  const labels: Record<string, string> = {};
  for (const l of f.label) {
    const i = l.indexOf("=");
    labels[i < 0 ? l : l.slice(0, i)] = i < 0 ? "" : l.slice(i + 1);
  }
  const opts: CreateOptions = {
    cmd: command,
    name: f.name,
    hostname: f.hostname,
    env: envFromFlags(f.env, f.envFile),
    workdir: f.workdir,
    user: f.user,
    capAdd: f.capAdd,
    capDrop: f.capDrop,
    privileged: f.privileged,
    tty: f.tty,
    interactive: f.interactive,
    autoRemove: f.rm,
    readOnly: f.readOnly,
    init: f.init,
    labels,
  };
  if (f.entrypoint !== undefined) opts.entrypoint = f.entrypoint === "" ? [] : [f.entrypoint];
  if (f.rootfs !== undefined) {
    opts.rootfs = f.rootfs;
    opts.cmd = [image, ...command];
  } else {
    opts.image = image;
  }
  return opts;
}

export function registerRun(program: Command, ctx: Context): void {
  const run = program.command("run").description("Create and run a new container from an image");
  addCreateFlags(run)
    .option("--rm", "automatically remove the container when it exits")
    .addOption(new Option("-d, --detach", "run container in background and print container ID"))
    .action(async (image: string, command: string[], flags: RunFlags) => {
      const { runCommand } = await import("./run-action.js");
      await runCommand(ctx, image, command, flags);
    });
}
