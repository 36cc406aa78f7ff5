// Building image configs: the one made by import, and the one commit derives from a base.
import type { ContainerConfig, Digest, ImageConfig } from "../spec/image.js";
import { sha256 } from "./digest.js";
import type { ImageChanges } from "./types.js";

export interface SerializedConfig {
  id: Digest;
  text: string;
  config: ImageConfig;
}

export function serializeConfig(config: ImageConfig): SerializedConfig {
  const text = JSON.stringify(config);
  return { id: sha256(text), text, config };
}

function mergeContainerConfig(base: ContainerConfig | undefined, changes: Partial<ContainerConfig> | undefined): ContainerConfig {
  return { ...(base ?? {}), ...(changes ?? {}) };
}

/** A config with one more layer on top of base (or the first layer when base is undefined). */
export function configWithLayer(base: ImageConfig | undefined, diffId: Digest, changes: ImageChanges, now = new Date()): ImageConfig {
  const created = now.toISOString();
  const config: ImageConfig = {
    ...(base ?? {}),
    created,
    architecture: base?.architecture ?? "amd64",
    os: base?.os ?? "linux",
    config: mergeContainerConfig(base?.config, changes.config),
    rootfs: { type: "layers", diff_ids: [...(base?.rootfs.diff_ids ?? []), diffId] },
    history: [
      ...(base?.history ?? []),
      {
        created,
        created_by: changes.createdBy ?? "",
        ...(changes.author ? { author: changes.author } : {}),
        ...(changes.comment ? { comment: changes.comment } : {}),
      },
    ],
  };
  if (changes.author !== undefined) config.author = changes.author;
  else delete config.author;
  return config;
}
