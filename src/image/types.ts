// What the image store hands to the engine and the command line.
import type { ContainerConfig, Digest, ImageConfig } from "../spec/image.js";

export interface ImageRecord {
  /** sha256 of the image config: "sha256:<hex>". */
  id: Digest;
  /** Full tagged names, e.g. "docker.io/library/busybox:latest" (see familiarName). */
  names: string[];
  /** Content-addressed names, "repo@sha256:<manifest digest>", for pulled/pushed images. */
  digests: string[];
  /** config.created, or when the image entered this store. */
  created: string;
  /** Bytes of all layers, uncompressed. */
  size: number;
  /** diffIDs, bottom layer first. */
  layers: Digest[];
  config: ImageConfig;
}

/** `docker image inspect` output. */
export interface ImageInspect {
  Id: Digest;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  Author: string;
  Architecture: string;
  Os: string;
  Size: number;
  Config: ContainerConfig;
  RootFS: { Type: "layers"; Layers: Digest[] };
}

export interface HistoryRow {
  /** The image id for the top entry, "<missing>" for the others (as docker shows). */
  id: string;
  created: string;
  createdBy: string;
  /** Bytes of the layer this step made (0 for empty_layer steps). */
  size: number;
  comment: string;
}

export interface RemoveOptions {
  /** Remove an image that has several names when given by id. */
  force?: boolean;
  /** Says which container uses an image (its name or id), or undefined when none does. */
  inUse?: (imageId: Digest) => string | undefined;
  /** Says which running container uses an image: that one even force does not remove. */
  runningUser?: (imageId: Digest) => string | undefined;
}

export interface RemoveResult {
  untagged: string[];
  deleted: Digest[];
}

/** docker's ImageDeleteResponseItem: a name that went, or an image that went. */
export type ImageRemoval = { Untagged: string } | { Deleted: Digest };

export interface PruneResult {
  deleted: Digest[];
  /** Each image's names, then the image, in docker's order (prune -a removes named images too). */
  removed: ImageRemoval[];
  reclaimedBytes: number;
}

export interface DiskUsage {
  images: number;
  /** Bytes of the images' layers counted once each. */
  layersSize: number;
  layers: number;
  /** Bytes of images that no name and no container keeps. */
  reclaimable: number;
}

/** Config changes for import and commit (docker's --change, --message, --author). */
export interface ImageChanges {
  config?: Partial<ContainerConfig>;
  comment?: string;
  author?: string;
  /** The history's created_by. */
  createdBy?: string;
}

/** What the store did to an image, for the engine's events (docker's image events). */
export type ImageEventAction = "pull" | "push" | "tag" | "untag" | "delete" | "import" | "load" | "save";

/** Told of each change: id is the image's id (or, for pull and push, the reference), name its name. */
export type ImageEventSink = (action: ImageEventAction, id: string, name: string) => void;
