// What a build is asked for, what it reports while it runs, and what it needs of the
// engine (the Engine passes itself; build/ never imports the facade).
import type { Readable } from "node:stream";
import type { ImageChanges, ImageRecord, ImageStore } from "../image/index.js";
import type { CreateOptions } from "../engine/run-options.js";
import type { ForegroundIo, RunResult } from "../engine/containers/starter.js";
import type { CommitOptions } from "../engine/containers/commit.js";

export interface BuildOptions {
  /** The build context: a directory, or a tar stream of one (docker build -). */
  context: string | Readable;
  /** The Dockerfile's path: absolute, or relative to a context directory (default "Dockerfile"); always inside a context given as a stream. */
  dockerfile?: string;
  /** The Dockerfile's text itself (docker build -f -), instead of a file. */
  dockerfileText?: string;
  tags?: string[];
  buildArgs?: Record<string, string>;
  /** The stage to stop at (by name or index); default the last. */
  target?: string;
  /** Build every step again (the results still refresh the cache). */
  noCache?: boolean;
  /** Pull base images even when the store has them (and so skip the cache). */
  pull?: boolean;
  /** Labels for the final image. */
  labels?: Record<string, string>;
  /** The network mode of RUN steps' containers. */
  network?: string;
  /** Only linux/amd64 is built. */
  platform?: string;
  onProgress?: (event: BuildEvent) => void;
  /** Stops the build: a running RUN's container is killed, and nothing of the build is left. */
  signal?: AbortSignal;
}

/** Progress: docker's vertexes (#N), each started, cached or finished, with their output. */
export type BuildEvent =
  | { kind: "start"; step: number; name: string }
  | { kind: "cached"; step: number }
  | { kind: "output"; step: number; stream: "stdout" | "stderr"; data: Buffer }
  | { kind: "done"; step: number; seconds: number }
  | { kind: "error"; step: number; message: string }
  | { kind: "warning"; message: string };

export interface BuildResult {
  image: ImageRecord;
  /** The names given to it (normalized). */
  names: string[];
}

/** The engine operations a build runs on. */
export interface BuildEngine {
  readonly images: ImageStore;
  ensureImage(ref: string): Promise<ImageRecord>;
  run(opts: CreateOptions, io: ForegroundIo): Promise<RunResult>;
  commit(query: string, ref: string | undefined, changes: ImageChanges, opts: CommitOptions): Promise<ImageRecord>;
  remove(query: string, opts: { force?: boolean }): Promise<string>;
  /** Which containers use an image: images a build made for its steps are removed only when none does. */
  readonly containers: { usesImage(imageId: string): string[] };
}
