// The engine as a whole: docker version, info, and system prune (with container prune,
// one of its steps).
import path from "node:path";
import { detectCgroupDriver } from "../../cgroups/index.js";
import type { ContainerContext } from "../containers/context.js";
import type { Reconciler } from "../containers/reconciler.js";
import type { ContainerRecord } from "../container-store.js";
import { treeSize } from "../disk-usage.js";
import { containerDir } from "../paths.js";
import type { ImageRemoval } from "../../image/index.js";
import { systemInfo, type SystemInfo } from "./info.js";
import { diskUsage, type DiskUsageReport } from "./disk-usage.js";
import { serverVersion, type ServerVersion } from "./version.js";

export interface SystemPruneOptions {
  /** -a: every image no container uses, not only the untagged ones. */
  all?: boolean;
  /** --volumes: anonymous volumes no container uses too. */
  volumes?: boolean;
}

export interface SystemPruneReport {
  containers: string[];
  networks: string[];
  images: ImageRemoval[];
  volumes: string[];
  spaceReclaimed: number;
}

export class SystemService {
  constructor(
    private readonly ctx: ContainerContext,
    private readonly reconciler: Reconciler,
    private readonly debug: boolean,
    private readonly networks: { prune(): Promise<string[]> } = { prune: async () => [] },
  ) {}

  version(): ServerVersion {
    return serverVersion();
  }

  async info(): Promise<SystemInfo> {
    const { ctx } = this;
    return systemInfo({
      roots: ctx.roots,
      containers: await this.reconciler.list(true),
      images: ctx.images.list().length,
      cgroupVersion: detectCgroupDriver().version,
      runtimePath: ctx.runtime.shimPath,
      debug: this.debug,
    });
  }

  /** docker system df: sizes of images, containers and volumes, and what is in use. */
  async df(): Promise<DiskUsageReport> {
    return diskUsage(this.ctx, await this.reconciler.list(true));
  }

  /** docker container prune: every stopped container removed; the space their writable layers held. */
  async pruneContainers(only?: (c: ContainerRecord) => boolean): Promise<{ deleted: string[]; spaceReclaimed: number }> {
    const deleted: string[] = [];
    let spaceReclaimed = 0;
    await this.reconciler.sweep();
    for (const c of await this.reconciler.list(true)) {
      if (c.state.status !== "exited" && c.state.status !== "created" && c.state.status !== "dead") continue;
      if (only && !only(c)) continue;
      const size = treeSize(path.join(containerDir(this.ctx.roots, c.id), "upper"));
      await this.reconciler.remove(c.id);
      deleted.push(c.id);
      spaceReclaimed += size;
    }
    return { deleted, spaceReclaimed };
  }

  /** docker system prune: stopped containers, then the networks, images (and volumes) they no longer hold. */
  async prune(o: SystemPruneOptions = {}): Promise<SystemPruneReport> {
    const { containers, images, volumes } = this.ctx;
    const pruned = await this.pruneContainers();
    const networks = await this.networks.prune();
    const usedBy = (name: string) => containers.usingVolume(name);
    const vols = o.volumes ? volumes.prune(usedBy) : { deleted: [], spaceReclaimed: 0 };
    const imgs = images.prune({ all: o.all, inUse: (id) => containers.usesImage(id)[0] });
    return {
      containers: pruned.deleted,
      networks,
      images: imgs.removed,
      volumes: vols.deleted,
      spaceReclaimed: pruned.spaceReclaimed + vols.spaceReclaimed + imgs.reclaimedBytes,
    };
  }
}
