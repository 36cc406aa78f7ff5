// What the archive writer and the registry client need of the image store, and no more:
// they are given the store through these, so the store can use them without a loop.
import type { Digest } from "../spec/image.js";
import type { Catalog } from "./catalog.js";
import type { LayerStore, StagedLayer } from "./layer-store.js";
import type { ImageRecord } from "./types.js";

/** Stored images' configs and layers, as save and push read them. */
export interface ImageContent {
  readonly catalog: Pick<Catalog, "configText" | "layerSize">;
  readonly layers: Pick<LayerStore, "tar">;
}

/** What pull adds images through and push records what it sent in: blobs known per layer, names, a work directory. */
export interface RegistryStore {
  readonly catalog: Pick<Catalog, "configText" | "hasLayer" | "recordBlob" | "blobsOfLayer" | "setName" | "recordBlobRepository" | "repositoriesOfBlob">;
  readonly layers: Pick<LayerStore, "tar" | "has" | "stage">;
  withWorkDir<T>(fn: (work: string) => Promise<T>): Promise<T>;
  /** The image a name (or id) is now, if any (ImageStore.resolve). */
  resolve(refOrId: string): ImageRecord | undefined;
  /** Moves staged layers into place and records the image with its names (ImageStore.addImage). */
  addImage(configText: string, id: Digest, layers: (StagedLayer | Digest)[], names: string[]): ImageRecord;
}
