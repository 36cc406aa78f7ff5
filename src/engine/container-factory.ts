// Turns CreateOptions and the image's config into the container's docker-shaped record.
import path from "node:path";
import type { ImageRecord } from "../image/index.js";
import type { ContainerConfig, HostConfig } from "./container-config.js";
import { initialState, type ContainerRecord } from "./container-store.js";
import { mergeHealthcheck } from "./health/config.js";
import { DEFAULT_SHM_SIZE } from "./host-options/apply.js";
import { checkDevice, checkDeviceCgroupRule } from "./host-options/devices.js";
import { checkUlimit } from "./host-options/ulimits.js";
import { logSettings } from "./host-options/log-config.js";
import { checkNamespaceModes } from "./host-options/namespaces.js";
import { checkSysctls } from "./host-options/sysctls.js";
import { checkSecurityOpts } from "./seccomp-options.js";
import { checkCapabilities } from "./spec-builder.js";
import type { CreateOptions } from "./run-options.js";
import { signalNumber } from "../runtime/index.js";
import { MydockerError } from "../util/errors.js";
import { parseExpose, parsePublish, type PortBindings } from "../network/ports.js";
import { checkAliases, checkDns, checkHostname, parseAddHost } from "./networks/etc-files.js";

/** A signal docker's parser takes (--stop-signal, an image's STOPSIGNAL): a name with or without SIG, or a number. */
export function checkSignal(flag: string, sig: string): void {
  try {
    signalNumber(sig);
  } catch {
    throw new MydockerError("EINVAL", `invalid ${flag} '${sig}': use a signal name (SIGTERM, TERM) or number`);
  }
}

/** docker's check of -w for run, create and exec: the runtime needs an absolute path. */
export function checkWorkdir(workdir: string | undefined): void {
  if (workdir !== undefined && workdir !== "" && !workdir.startsWith("/")) {
    throw new MydockerError("EINVAL", `the working directory '${workdir}' is invalid, it needs to be an absolute path`);
  }
}

type Marks = Record<string, Record<string, never>>;

/** -p and --expose into docker's PortBindings and the ExposedPorts they add to the image's. */
function portsOf(opts: CreateOptions, imageExposed: Marks): { bindings: PortBindings; exposed: Marks } {
  const bindings: PortBindings = {};
  for (const spec of opts.ports ?? []) parsePublish(spec, bindings);
  const exposed: Marks = { ...imageExposed };
  for (const key of [...(opts.expose ?? []).flatMap(parseExpose), ...Object.keys(bindings)]) exposed[key] = {};
  return { bindings, exposed };
}

export function newContainerRecord(id: string, name: string, opts: CreateOptions, image: ImageRecord | undefined): ContainerRecord {
  checkSecurityOpts(opts.securityOpt ?? []);
  checkCapabilities(opts.capAdd ?? [], opts.capDrop ?? []);
  checkWorkdir(opts.workdir);
  checkNamespaceModes(opts);
  const sysctls = opts.sysctls ?? {};
  checkSysctls(sysctls, (t) => (t === "ipc" ? opts.ipcMode !== "host" : t === "network" ? [opts.network].flat()[0] !== "host" : t === "uts" ? opts.utsMode !== "host" : true));
  const deviceCgroupRules = (opts.deviceCgroupRules ?? []).map(checkDeviceCgroupRule);
  const logConfig = opts.logConfig ?? { Type: "json-file", Config: {} };
  logSettings(logConfig);
  if (opts.autoRemove && opts.restart && opts.restart.Name !== "no") throw new MydockerError("EINVAL", "Conflicting options: --restart and --rm");
  if (opts.stopSignal !== undefined) checkSignal("--stop-signal", opts.stopSignal);
  const ic = image?.config.config ?? {};
  const healthcheck = mergeHealthcheck(opts.healthcheck, ic.Healthcheck);
  const ports = portsOf(opts, (ic.ExposedPorts ?? {}) as Marks);
  checkDns(opts.dns ?? {});
  checkHostname("--hostname", opts.hostname);
  checkHostname("--domainname", opts.domainname);
  checkAliases(opts.networkAliases);
  for (const h of opts.addHosts ?? []) parseAddHost(h);
  const config: ContainerConfig = {
    Hostname: opts.hostname ?? "",
    Domainname: opts.domainname ?? "",
    User: opts.user ?? ic.User ?? "",
    Env: [...(ic.Env ?? []), ...(opts.env ?? [])],
    Cmd: opts.cmd && opts.cmd.length > 0 ? opts.cmd : opts.entrypoint !== undefined ? [] : (ic.Cmd ?? []),
    Entrypoint: opts.entrypoint !== undefined ? opts.entrypoint : (ic.Entrypoint ?? null),
    Image: opts.image ?? "",
    // An image's relative WorkingDir (no builder writes one) is taken from /, as docker does.
    WorkingDir: opts.workdir ?? (ic.WorkingDir ? path.posix.resolve("/", ic.WorkingDir) : ""),
    Labels: { ...(ic.Labels ?? {}), ...(opts.labels ?? {}) },
    StopSignal: opts.stopSignal ?? ic.StopSignal ?? "SIGTERM",
    StopTimeout: opts.stopTimeout ?? null,
    Tty: opts.tty ?? false,
    OpenStdin: opts.interactive ?? false,
    StdinOnce: Boolean(opts.interactive && opts.stdinOnce),
    ExposedPorts: ports.exposed,
    Volumes: (ic.Volumes ?? {}) as Marks,
    ...(healthcheck ? { Healthcheck: healthcheck } : {}),
  };
  const hostConfig: HostConfig = {
    AutoRemove: opts.autoRemove ?? false,
    Privileged: opts.privileged ?? false,
    CapAdd: opts.capAdd ?? [],
    CapDrop: opts.capDrop ?? [],
    Init: opts.init ?? false,
    ReadonlyRootfs: opts.readOnly ?? false,
    Mounts: opts.mounts ?? [],
    Volumes: [],
    RestartPolicy: opts.restart ?? { Name: "no", MaximumRetryCount: 0 },
    LogConfig: logConfig,
    NetworkMode: (Array.isArray(opts.network) ? opts.network[0] : opts.network) ?? "bridge",
    PortBindings: ports.bindings,
    PublishAllPorts: opts.publishAll ?? false,
    Dns: opts.dns?.servers ?? [],
    DnsSearch: opts.dns?.search ?? [],
    DnsOptions: opts.dns?.options ?? [],
    ExtraHosts: opts.addHosts ?? [],
    CgroupParent: opts.cgroupParent ?? "",
    CgroupnsMode: opts.cgroupns ?? "private",
    Resources: opts.resources ?? {},
    OomScoreAdj: opts.oomScoreAdj ?? 0,
    SecurityOpt: opts.securityOpt ?? [],
    Rootfs: opts.rootfs ? path.resolve(opts.rootfs) : "",
    Ulimits: (opts.ulimits ?? []).map(checkUlimit),
    ShmSize: opts.shmSize || DEFAULT_SHM_SIZE,
    Devices: (opts.devices ?? []).map(checkDevice),
    DeviceCgroupRules: deviceCgroupRules,
    GroupAdd: opts.groupAdd ?? [],
    Sysctls: sysctls,
    IpcMode: opts.ipcMode || "private",
    PidMode: opts.pidMode ?? "",
    UTSMode: opts.utsMode ?? "",
    VolumesFrom: opts.volumesFrom ?? [],
  };
  return {
    id,
    name,
    image: opts.image ?? "",
    imageId: image?.id ?? "",
    created: new Date().toISOString(),
    config,
    hostConfig,
    state: initialState(),
    restartCount: 0,
  };
}
