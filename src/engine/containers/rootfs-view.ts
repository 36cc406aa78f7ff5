// A container's root as the engine describes it to the runtime: its layer directories (its
// own writable layer over its image's), its OCI spec, and the overlay that joins them.
import fs from "node:fs";
import path from "node:path";
import type { ImageStore } from "../../image/index.js";
import type { HelperTarget, RootfsMount } from "../../runtime/index.js";
import type { Spec } from "../../spec/runtime.js";
import { MydockerError } from "../../util/errors.js";
import { removeTree } from "../../util/remove-tree.js";
import type { ContainerRecord } from "../container-store.js";
import { hostDevices } from "../host-devices.js";
import type { PeerLookup } from "../host-options/namespaces.js";
import { ensureLayeredDir, readLayeredFile } from "../image-files.js";
import { containerDir, initLayerDir, type EngineRoots } from "../paths.js";
import { buildSpec } from "../spec-builder.js";
import { overlayMount, useLowerdirPlus } from "./overlay-mount.js";
import { bindEtcFiles } from "../networks/etc-files.js";

export interface RuntimeInput {
  spec: Spec;
  /** The overlay mounted at the spec's root, in the container's own mount namespace. */
  rootfsMount?: RootfsMount;
}

/** What one helper works over; release once it ended. */
export interface HelperView {
  target: HelperTarget;
  release(): void;
}

/** The name of a helper's overlay work directory in the container's directory (mkdtemp adds six characters). */
const HelperWorkPrefix = "work-helper-";

export class RootfsView {
  constructor(
    private readonly roots: EngineRoots,
    private readonly images: () => ImageStore,
    /** The host's static mydocker-init (the shim binary), bound into containers run with --init. */
    private readonly initBinary: () => string,
    /** Another container by name or id, up to date (--ipc/--pid container:NAME). */
    private readonly peers: PeerLookup,
    /** The /etc files the container's last run was given (networks/etc-files.ts), as they are bound. */
    private readonly etcFiles: (c: ContainerRecord) => { destination: string; source: string }[] = () => [],
  ) {}

  /** The layer directories of a container's root, topmost first (its own upper layer first). */
  layerDirs(c: ContainerRecord): string[] {
    if (c.hostConfig.Rootfs) return [c.hostConfig.Rootfs];
    const image = this.images().resolve(c.imageId);
    if (!image) throw new MydockerError("ENOIMAGE", `the image of container ${c.id.slice(0, 12)} (${c.imageId}) is gone`);
    const dir = containerDir(this.roots, c.id);
    // The init layer holds the mount points of /etc/hosts and the like (networks/etc-files.ts):
    // the container's own if it was made with one, else the one all share.
    const own = path.join(dir, "init");
    const init = [own, initLayerDir(this.roots)].filter((d) => fs.existsSync(d)).slice(0, 1);
    return [path.join(dir, "upper"), ...init, ...this.images().layerDirs(image)];
  }

  /** The container's OCI spec, its root at rootfs; layers are read for its user and group names. */
  specFor(c: ContainerRecord, rootfs: string, layers = this.layerDirs(c), start = false): Spec {
    const readFile = (p: string) => readLayeredFile(layers, p);
    const peers = start ? this.peers : undefined;
    return buildSpec(c, { rootfs, readFile, cgroupParent: this.roots.cgroupParent, initBinary: this.initBinary(), hostDevices, peers });
  }

  /** What the runtime needs to make the container's root; `run` also gets its working directory made. */
  runtimeInput(c: ContainerRecord, purpose: "run" | "files"): RuntimeInput {
    const layers = this.layerDirs(c);
    if (purpose === "run" && c.config.WorkingDir) ensureLayeredDir(layers, c.config.WorkingDir);
    const start = purpose === "run";
    if (c.hostConfig.Rootfs) return { spec: this.specFor(c, c.hostConfig.Rootfs, layers, start) };
    const dir = containerDir(this.roots, c.id);
    return {
      // The overlay is mounted over the container's directory itself, in the container's own
      // mount namespace: no directory of its own to make and remove for each run.
      spec: this.specFor(c, dir, layers, start),
      rootfsMount: this.overlay(layers, path.join(dir, "work")),
    };
  }

  /**
   * Where helpers (cp's tar) find the container's files: inside it while it runs, else over
   * its layers. There each helper's overlay gets a work directory of its own: overlayfs
   * empties its work directory at each mount, so overlays that share one clobber each other
   * (cp starts up to three helpers at once): a mount made meanwhile fails (ENOENT, EINVAL)
   * and one made before can no longer copy a file up.
   */
  filesTarget(c: ContainerRecord): () => HelperView {
    if (c.state.status === "running" || c.state.status === "paused") {
      const target = { id: c.id };
      return () => ({ target, release: () => {} });
    }
    // As docker's cp: /etc/hostname and the like are the files the container had, not the
    // empty mount points under them.
    const input = this.runtimeInput(c, "files");
    bindEtcFiles(input.spec, this.etcFiles(c));
    if (!input.rootfsMount) return () => ({ target: input, release: () => {} });
    const layers = this.layerDirs(c);
    const dir = containerDir(this.roots, c.id);
    return () => {
      // Beside the upper layer: overlayfs wants both on one filesystem.
      const work = fs.mkdtempSync(path.join(dir, HelperWorkPrefix));
      return { target: { ...input, rootfsMount: this.overlay(layers, work) }, release: () => removeTree(work) };
    };
  }

  private overlay([upper, ...lower]: string[], work: string): RootfsMount {
    return overlayMount({ upper: upper!, work, lower }, useLowerdirPlus(), () => this.images().shortLinks(lower));
  }
}
