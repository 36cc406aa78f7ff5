// Building image configs: the one made by import, and the one commit derives from a base;
// and the limits every config that enters the store is held to.
import { MydockerError } from "../util/errors.js";
import type { ContainerConfig, Digest, ImageConfig } from "../spec/image.js";
import { sha256 } from "./digest.js";
import type { ImageChanges } from "./types.js";

/** containers/image's limit on a config blob (podman, skopeo): real configs are a few KB. */
export const MaxConfigBytes = 4 << 20;
/**
 * How deeply a config may nest. Real ones nest 4 or 5 levels; JSON.parse takes 100,000
 * without complaint, but everything that walks the result recursively (JSON.stringify for
 * inspect, the spec built for run) then overflows the stack.
 */
export const MaxConfigDepth = 64;

/** The deepest nesting of arrays and objects in JSON text (strings skipped). */
export function jsonDepth(text: Buffer): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** Refuses a config bigger or deeper than the limits, before anything parses it. */
export function checkConfigLimits(bytes: Buffer | string, what: string): void {
  const buf = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes;
  if (buf.length > MaxConfigBytes) {
    throw new MydockerError("invalid_config", `${what} is ${buf.length} bytes: an image config may have at most ${MaxConfigBytes} (4 MiB)`);
  }
  if (jsonDepth(buf) > MaxConfigDepth) {
    throw new MydockerError("invalid_config", `${what} nests more than ${MaxConfigDepth} levels deep, the most an image config may`);
  }
}

interface SerializedConfig {
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
