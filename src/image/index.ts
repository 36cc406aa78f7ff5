// The image store's public surface.
export { ImageStore, loadedLines, type ImportOptions, type LoadedImage } from "./image-store.js";
export type {
  DiskUsage,
  HistoryRow,
  ImageChanges,
  ImageInspect,
  ImageEventAction,
  ImageEventSink,
  ImageRecord,
  ImageRemoval,
  PruneResult,
  RemoveOptions,
  RemoveResult,
} from "./types.js";
export type { LayerAction, Progress, ProgressEvent } from "./progress.js";
export { LayerWords, shortId } from "./progress.js";
export {
  DefaultDomain,
  DefaultTag,
  familiarName,
  formatReference,
  normalizeReference,
  parseReference,
  withDefaultTag,
  type ImageReference,
} from "./reference.js";
export { layerChanges, type Change } from "./layer-changes.js";
export type { ByteStream } from "./compression.js";
export type { ArchiveFormat } from "./archive-write.js";
export type { Credentials, RegistryOptions } from "./registry/client.js";
export type { PullOptions } from "./registry/pull.js";
export type { PushOptions } from "./registry/push.js";
export { checkLogin, login, logout, loginDomain } from "./registry/login.js";
export { checkPlatform, parsePlatform, type PlatformSpec } from "./platform.js";
