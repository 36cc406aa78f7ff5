// mydocker run / create: docker's flags, turned into the engine's CreateOptions.
import fs from "node:fs";
import { Command, Option } from "commander";
import type { CreateOptions } from "../../engine/run-options.js";
import { collect, envFromFlags, intFlag } from "../flags.js";
import { oomScoreAdjFromFlags, resourcesFromFlags, type ResourceFlags } from "../../engine/resource-flags.js";
import { parseMountFlag, parseTmpfsFlag, parseVolumeFlag } from "../../engine/volumes/volume-flags.js";
import type { CgroupnsMode } from "../../engine/container-config.js";
import { parseRestartPolicy } from "../../engine/containers/restart-policy.js";
import { MydockerError } from "../../util/errors.js";
import type { Context } from "../context.js";
import { addHostFlags, hostOptionsFromFlags, labelsFromFiles, type HostFlags } from "./run-host-flags.js";
import { engineErrorStatus } from "../output.js";

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
  volume: string[];
  mount: string[];
  tmpfs: string[];
  restart?: string;
  logOpt: string[];
  cgroupParent?: string;
  cgroupns?: string;
  stopSignal?: string;
  stopTimeout?: string;
  network: string[];
  net: string[];
  publish: string[];
  publishAll?: boolean;
  expose: string[];
  ip?: string;
  macAddress?: string;
  networkAlias: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOption: string[];
  addHost: string[];
  securityOpt: string[];
}

export type CreateFlags = RunFlags & ResourceFlags & HostFlags;

/** Resource flags shared by run, create and update, with docker's names. */
export function addResourceFlags(cmd: Command): Command {
  return cmd
    .option("-m, --memory <bytes>", "memory limit")
    .option("--memory-swap <bytes>", "swap limit equal to memory plus swap: -1 to enable unlimited swap")
    .option("--memory-reservation <bytes>", "memory soft limit")
    .option("--cpus <number>", "number of CPUs")
    .option("-c, --cpu-shares <n>", "CPU shares (relative weight)")
    .option("--cpu-period <us>", "limit CPU CFS (Completely Fair Scheduler) period")
    .option("--cpu-quota <us>", "limit CPU CFS (Completely Fair Scheduler) quota")
    .option("--cpuset-cpus <list>", "CPUs in which to allow execution (0-3, 0,1)")
    .option("--cpuset-mems <list>", "MEMs in which to allow execution (0-3, 0,1)")
    .option("--pids-limit <n>", "tune container pids limit (set -1 for unlimited)")
    .option("--blkio-weight <n>", "block IO (relative weight), between 10 and 1000, or 0 to disable");
}

/** As docker's command line: a seccomp profile goes to the engine as its contents, read here. */
function securityOptFromFlag(opt: string): string {
  if (!opt.startsWith("seccomp=") || opt === "seccomp=unconfined") return opt;
  const file = opt.slice("seccomp=".length);
  try {
    return `seccomp=${fs.readFileSync(file, "utf8")}`;
  } catch (e) {
    throw new MydockerError("EINVAL", `opening seccomp profile (${file}) failed: ${(e as Error).message}`);
  }
}

export function addCreateFlags(cmd: Command): Command {
  return addHostFlags(addResourceFlags(cmd))
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
    .option("-v, --volume <spec>", "bind mount a volume (/host:/ctr[:ro], name:/ctr, /ctr)", collect, [])
    .option("--mount <spec>", "attach a filesystem mount (type=bind|volume|tmpfs,source=,target=,readonly)", collect, [])
    .option("--tmpfs <spec>", "mount a tmpfs directory (/run:rw,size=64m)", collect, [])
    .option("--restart <policy>", "restart policy: no, on-failure[:max-retries], always, unless-stopped")
    .option("--log-opt <K=V>", "log driver options (max-size=10m, max-file=3)", collect, [])
    .option("--cgroup-parent <path>", "optional parent cgroup for the container")
    .option("--cgroupns <mode>", "cgroup namespace: private (its own, the default) or host")
    .option("--stop-signal <signal>", "signal to stop the container")
    .option("--stop-timeout <seconds>", "timeout (in seconds) to stop a container")
    .option("--network <mode>", "connect to a network: bridge (default), none, host, container:NAME|ID, or a network's name (repeat for more)", collect, [])
    .addOption(new Option("--net <mode>", "alias of --network").argParser(collect).default([]).hideHelp())
    .option("-p, --publish <spec>", "publish a container's port(s) to the host: [IP:][HOSTPORT:]CONTAINERPORT[/PROTO]", collect, [])
    .option("-P, --publish-all", "publish all exposed ports to random ports")
    .option("--expose <port>", "expose a port or a range of ports", collect, [])
    .option("--ip <address>", "IPv4 address on the container's network (e.g., 172.30.100.104)")
    .option("--mac-address <mac>", "container MAC address (e.g., 92:d0:c6:0a:29:33)")
    .option("--network-alias <name>", "add a network-scoped alias for the container", collect, [])
    .option("--dns <ip>", "set custom DNS servers", collect, [])
    .option("--dns-search <domain>", "set custom DNS search domains", collect, [])
    .option("--dns-option <opt>", "set DNS options", collect, [])
    .option("--add-host <host:ip>", "add a custom host-to-IP mapping (host:ip; ip may be host-gateway)", collect, [])
    .option("--oom-score-adj <n>", "tune host's OOM preferences (-1000 to 1000)")
    .option("--security-opt <opt>", "security options: no-new-privileges, seccomp=unconfined, seccomp=PROFILE.json", collect, [])
    .argument("<image>", "the image (or, with --rootfs, the command)")
    .argument("[command...]", "the command and its arguments")
    .passThroughOptions();
}

export function createOptionsFromFlags(image: string, command: string[], f: CreateFlags): CreateOptions {
  const networks = [...f.network, ...f.net];
  const labels: Record<string, string> = {};
  // As docker: the files first, so that --label wins.
  for (const l of [...labelsFromFiles(f.labelFile), ...f.label]) {
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
    // As docker's CLI: -i makes the first attached client's end of input the container's; -d undoes it.
    stdinOnce: f.interactive && !f.detach,
    autoRemove: f.rm,
    readOnly: f.readOnly,
    init: f.init,
    labels,
    volumes: [...f.volume.map(parseVolumeFlag), ...f.mount.map(parseMountFlag), ...f.tmpfs.map(parseTmpfsFlag)],
    resources: resourcesFromFlags(f),
    oomScoreAdj: oomScoreAdjFromFlags(f),
    restart: f.restart === undefined ? undefined : parseRestartPolicy(f.restart),
    cgroupParent: f.cgroupParent,
    // Checked by the engine at create, for every front door.
    cgroupns: f.cgroupns as CgroupnsMode | undefined,
    stopSignal: f.stopSignal,
    stopTimeout: f.stopTimeout === undefined ? undefined : intFlag("--stop-timeout", f.stopTimeout),
    network: networks.length > 1 ? networks : networks[0],
    ports: f.publish,
    publishAll: f.publishAll,
    expose: f.expose,
    ip: f.ip,
    macAddress: f.macAddress,
    networkAliases: f.networkAlias,
    dns: { servers: f.dns, search: f.dnsSearch, options: f.dnsOption },
    addHosts: f.addHost,
    securityOpt: f.securityOpt.map(securityOptFromFlag),
    ...hostOptionsFromFlags(f, f.logOpt),
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
  const run = engineErrorStatus(program.command("run"), 125).description("Create and run a new container from an image");
  addCreateFlags(run)
    .option("--rm", "automatically remove the container when it exits")
    .addOption(new Option("-d, --detach", "run container in background and print container ID"))
    .option("--detach-keys <keys>", "override the key sequence for detaching a container (default ctrl-p,ctrl-q)")
    .action(async (image: string, command: string[], flags: CreateFlags & { detachKeys?: string }) => {
      const opts = createOptionsFromFlags(image, command, flags);
      const { runCommand } = await import("./run-action.js");
      await runCommand(await ctx.engine(), opts, flags);
    });
}
