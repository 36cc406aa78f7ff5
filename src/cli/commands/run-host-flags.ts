// run / create flags for the host side of a container (limits, devices, namespaces, logs,
// health check), turned into the engine's CreateOptions fields.
import fs from "node:fs";
import type { Command } from "commander";
import type { HealthConfig } from "../../engine/container-config.js";
import { parseDuration } from "../../engine/health/config.js";
import { checkDeviceCgroupRule, parseDevice } from "../../engine/host-options/devices.js";
import { logConfigFromFlags } from "../../engine/host-options/log-config.js";
import { parseSysctls } from "../../engine/host-options/sysctls.js";
import { parseUlimit } from "../../engine/host-options/ulimits.js";
import { parseBytes } from "../../engine/resource-flags.js";
import type { CreateOptions } from "../../engine/run-options.js";
import { parsePullPolicy } from "../../engine/image-bootstrap.js";
import { FlagError, MydockerError } from "../../util/errors.js";
import { collect, intFlag } from "../flags.js";

export interface HostFlags {
  ulimit: string[];
  shmSize?: string;
  device: string[];
  deviceCgroupRule: string[];
  groupAdd: string[];
  sysctl: string[];
  domainname?: string;
  ipc?: string;
  pid?: string;
  uts?: string;
  volumesFrom: string[];
  cidfile?: string;
  labelFile: string[];
  kernelMemory?: string;
  gpus?: string;
  logDriver?: string;
  platform?: string;
  pull?: string;
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthRetries?: string;
  healthStartPeriod?: string;
  healthcheck?: boolean;
}

export function addHostFlags(cmd: Command): Command {
  return cmd
    .option("--ulimit <name=soft[:hard]>", "ulimit options (nofile=1024:2048)", collect, [])
    .option("--shm-size <bytes>", "size of /dev/shm (default 64m)")
    .option("--device <host[:container][:rwm]>", "add a host device to the container", collect, [])
    .option("--device-cgroup-rule <rule>", "add a rule to the cgroup allowed devices list ('c 1:3 rwm')", collect, [])
    .option("--group-add <group>", "add additional groups to join", collect, [])
    .option("--sysctl <key=value>", "sysctl options (namespaced ones only)", collect, [])
    .option("--domainname <name>", "container NIS domain name")
    .option("--ipc <mode>", "IPC mode: private, shareable, host or container:NAME")
    .option("--pid <mode>", "PID namespace: host or container:NAME")
    .option("--uts <mode>", "UTS namespace: host")
    .option("--volumes-from <container[:ro|:rw]>", "mount volumes from the specified container(s)", collect, [])
    .option("--cidfile <file>", "write the container ID to the file")
    .option("--label-file <file>", "read in a line delimited file of labels", collect, [])
    .option("--memory-swappiness <n>", "tune container memory swappiness (0 to 100)")
    .option("--oom-kill-disable", "disable OOM killer")
    .option("--kernel-memory <bytes>", "kernel memory limit (not supported)")
    .option("--gpus <gpus>", "GPU devices to add to the container (not supported)")
    .option("--log-driver <driver>", "logging driver: json-file (default), local or none")
    .option("--platform <os[/arch]>", "the platform the image must be made for (and is pulled for)")
    .option("--pull <policy>", 'pull image before running: "always", "missing" (the default) or "never"')
    .option("--health-cmd <command>", "command to run to check health")
    .option("--health-interval <duration>", "time between running the check (ms|s|m|h) (default 30s)")
    .option("--health-timeout <duration>", "maximum time to allow one check to run (ms|s|m|h) (default 30s)")
    .option("--health-retries <n>", "consecutive failures needed to report unhealthy (default 3)")
    .option("--health-start-period <duration>", "start period for the container to initialize before counting retries (ms|s|m|h) (default 0s)")
    .option("--no-healthcheck", "disable any container-specified HEALTHCHECK");
}

function healthFromFlags(f: HostFlags): HealthConfig | undefined {
  const given = [f.healthCmd, f.healthInterval, f.healthTimeout, f.healthRetries, f.healthStartPeriod].some((v) => v !== undefined);
  if (f.healthcheck === false) {
    if (given) throw new MydockerError("EINVAL", "--no-healthcheck conflicts with --health-* options");
    return { Test: ["NONE"] };
  }
  if (!given) return undefined;
  const h: HealthConfig = { Test: f.healthCmd ? ["CMD-SHELL", f.healthCmd] : [] };
  if (f.healthInterval !== undefined) h.Interval = parseDuration("--health-interval", f.healthInterval);
  if (f.healthTimeout !== undefined) h.Timeout = parseDuration("--health-timeout", f.healthTimeout);
  if (f.healthStartPeriod !== undefined) h.StartPeriod = parseDuration("--health-start-period", f.healthStartPeriod);
  if (f.healthRetries !== undefined) {
    h.Retries = intFlag("--health-retries", f.healthRetries);
    if (h.Retries < 0) throw new MydockerError("EINVAL", "--health-retries cannot be negative");
  }
  return h;
}

/** docker's label file: KEY=VALUE lines, blank lines and # comments skipped. */
export function labelsFromFiles(files: readonly string[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      throw new MydockerError("EINVAL", `--label-file ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
    }
    for (const line of text.split("\n")) {
      const l = line.trim();
      if (l !== "" && !l.startsWith("#")) out.push(l);
    }
  }
  return out;
}

export function hostOptionsFromFlags(f: HostFlags, logOpts: readonly string[]): Partial<CreateOptions> {
  if (f.kernelMemory !== undefined) {
    throw new MydockerError("EINVAL", "--kernel-memory is not supported: kernel memory limits are gone from cgroup v2 and deprecated in docker; use --memory");
  }
  if (f.gpus !== undefined) throw new MydockerError("EINVAL", "--gpus is not supported: mydocker has no GPU support (docker needs the NVIDIA container toolkit for it)");
  let shmSize: number | undefined;
  if (f.shmSize !== undefined) {
    shmSize = parseBytes(f.shmSize);
    if (shmSize === undefined) throw new FlagError("EINVAL", `invalid argument "${f.shmSize}" for "--shm-size" flag: invalid size: '${f.shmSize}'`);
  }
  return {
    ulimits: f.ulimit.map(parseUlimit),
    shmSize,
    devices: f.device.map(parseDevice),
    deviceCgroupRules: f.deviceCgroupRule.map(checkDeviceCgroupRule),
    groupAdd: f.groupAdd,
    sysctls: parseSysctls(f.sysctl),
    domainname: f.domainname,
    ipcMode: f.ipc,
    pidMode: f.pid,
    utsMode: f.uts,
    volumesFrom: f.volumesFrom,
    platform: f.platform,
    pull: parsePullPolicy(f.pull),
    logConfig: logConfigFromFlags(f.logDriver, logOpts),
    healthcheck: healthFromFlags(f),
  };
}
