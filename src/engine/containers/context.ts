// What the container services are given: the stores, the runtime and each other. A
// service imports this type, never the Engine facade that wires them.
import type { ImageStore } from "../../image/index.js";
import type { Runtime } from "../../runtime/index.js";
import type { ContainerStore } from "../container-store.js";
import type { EngineRoots } from "../paths.js";
import type { PendingOps } from "../pending-ops.js";
import type { VolumeStore } from "../volumes/store.js";
import type { ContainerRecord } from "../container-store.js";
import type { RootfsView } from "./rootfs-view.js";
import type { EventsService } from "../events/service.js";
import type { ContainerNetwork } from "../networks/container-network.js";

/** What the other services ask of the reconciler (containers/reconciler.ts). */
export interface Reconciling {
  /** A container by full id, unique id prefix or name, brought up to date. */
  resolve(query: string): ContainerRecord;
  /** Records a container's end once, releases its runtime state, applies --rm. */
  finish(id: string, exitCode?: number, network?: "release" | "keep"): Promise<void>;
  /** After a failed start: the runtime released; the container removed (--rm) or keeping the error. */
  abandon(id: string, err?: unknown): Promise<void>;
  /** Waits for the ends being recorded in the background. */
  settle(): Promise<void>;
  /** Kills whatever runs of the container and releases its runtime state. */
  releaseRuntime(id: string): Promise<void>;
  /** Deletes a container's files and record (and its anonymous volumes when asked). */
  destroy(c: ContainerRecord, volumes?: boolean): void;
}

export interface ContainerContext {
  readonly roots: EngineRoots;
  readonly containers: ContainerStore;
  readonly images: ImageStore;
  readonly volumes: VolumeStore;
  readonly pendingOps: PendingOps;
  readonly events: EventsService;
  /** Made on first use: commands that never start a process never make one. */
  readonly runtime: Runtime;
  readonly reconciler: Reconciling;
  readonly view: RootfsView;
  /** Containers' addresses and network namespaces. */
  readonly network: ContainerNetwork;
  debug(msg: string): void;
}

/** A container's status while its process exists (docker's "running" in the wide sense). */
export const isRunning = (status: string): boolean => status === "running" || status === "paused" || status === "restarting";

/** The startedAt of a container that never ran. */
export const NEVER = "0001-01-01T00:00:00Z";
