// Turns CreateOptions and the image's config into the container's docker-shaped record.
import path from "node:path";
import type { ImageRecord } from "../image/index.js";
import type { ContainerConfig, HostConfig } from "./container-config.js";
import { initialState, type ContainerRecord } from "./container-store.js";
import { checkSecurityOpts } from "./seccomp-options.js";
import type { CreateOptions } from "./run-options.js";

type Marks = Record<string, Record<string, never>>;

export function newContainerRecord(id: string, name: string, opts: CreateOptions, image: ImageRecord | undefined): ContainerRecord {
  checkSecurityOpts(opts.securityOpt ?? []);
  const ic = image?.config.config ?? {};
  const config: ContainerConfig = {
    Hostname: opts.hostname ?? "",
    Domainname: opts.domainname ?? "",
    User: opts.user ?? ic.User ?? "",
    Env: [...(ic.Env ?? []), ...(opts.env ?? [])],
    Cmd: opts.cmd && opts.cmd.length > 0 ? opts.cmd : opts.entrypoint !== undefined ? [] : (ic.Cmd ?? []),
    Entrypoint: opts.entrypoint !== undefined ? opts.entrypoint : (ic.Entrypoint ?? null),
    Image: opts.image ?? "",
    WorkingDir: opts.workdir ?? ic.WorkingDir ?? "",
    Labels: { ...(ic.Labels ?? {}), ...(opts.labels ?? {}) },
    StopSignal: opts.stopSignal ?? ic.StopSignal ?? "SIGTERM",
    StopTimeout: opts.stopTimeout ?? null,
    Tty: opts.tty ?? false,
    OpenStdin: opts.interactive ?? false,
    ExposedPorts: (ic.ExposedPorts ?? {}) as Marks,
    Volumes: (ic.Volumes ?? {}) as Marks,
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
    LogMaxSize: opts.logMaxSize ?? 0,
    NetworkMode: opts.network ?? "none",
    CgroupParent: opts.cgroupParent ?? "",
    CgroupnsMode: opts.cgroupns ?? "private",
    Resources: opts.resources ?? {},
    OomScoreAdj: opts.oomScoreAdj ?? 0,
    SecurityOpt: opts.securityOpt ?? [],
    Rootfs: opts.rootfs ? path.resolve(opts.rootfs) : "",
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
