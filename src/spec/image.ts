// Types of the image formats we read and write: the OCI image spec (config, manifest,
// index, layout), Docker's distribution manifests, and the `docker save` manifest.json.

export const MediaType = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  ociLayerNondistGzip: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  dockerLayerForeignGzip: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
} as const;

/** "sha256:<64 hex>" */
export type Digest = string;

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  "os.version"?: string;
}

/** The part of an image config that says how to run a container. */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ArgsEscaped?: boolean;
  /** Docker's HEALTHCHECK (durations in nanoseconds). */
  Healthcheck?: ImageHealthcheck;
  /** Docker's own fields written by docker build: ONBUILD triggers and SHELL. */
  OnBuild?: string[] | null;
  Shell?: string[];
}

export interface ImageHealthcheck {
  /** [] inherit, ["NONE"], ["CMD", ...] or ["CMD-SHELL", command]. */
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** application/vnd.oci.image.config.v1+json (Docker's config is a superset). */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: ContainerConfig;
  rootfs: { type: "layers"; diff_ids: Digest[] };
  history?: HistoryEntry[];
  [extra: string]: unknown;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** One element of the manifest.json array written by `docker save`. */
export interface DockerSaveManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

/** The legacy `repositories` file of `docker save`: repo -> tag -> layer id. */
export type DockerRepositories = Record<string, Record<string, string>>;

/** Annotation naming an image in an OCI layout (as podman/skopeo write it). */
export const AnnotationRefName = "org.opencontainers.image.ref.name";
/** containerd's annotation carrying the full image name. */
export const AnnotationImageName = "io.containerd.image.name";
