// Progress of load, import, pull and push. The command line decides how to show it:
// per-layer bars on a terminal, one plain line per step otherwise.

export type LayerAction =
  | "waiting"
  | "downloading"
  | "extracting"
  | "exists"
  | "done"
  | "pushing"
  | "pushed"
  /** push: the registry has the blob already. */
  | "present"
  | "mounted";

/** docker's words for each step of a layer, as its command line and API show them. */
export const LayerWords: Record<LayerAction, string> = {
  waiting: "Waiting",
  downloading: "Downloading",
  extracting: "Extracting",
  exists: "Already exists",
  done: "Pull complete",
  pushing: "Pushing",
  pushed: "Pushed",
  present: "Layer already exists",
  mounted: "Mounted from another repository",
};

export type ProgressEvent =
  /** id: the layer's short digest (12 hex digits). current/total: bytes (total may be unknown). */
  | { kind: "layer"; id: string; action: LayerAction; current?: number; total?: number }
  /** A step worth one line: "Loaded image: busybox:latest", "Writing manifest", ... */
  | { kind: "step"; message: string };

export type Progress = (event: ProgressEvent) => void;

export function shortId(digest: string): string {
  return digest.replace(/^sha256:/, "").slice(0, 12);
}
