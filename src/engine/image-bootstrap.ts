// The image a container runs, found as docker's --pull policy says: in the store, or
// pulled when missing (docker's default), always, or never. busybox named without a
// registry is the exception: made from the host's static busybox when missing (a fresh
// machine may have no registry to pull it from).
import fs from "node:fs";
import path from "node:path";
import { LayerWords, familiarName, normalizeReference, shortId, type ImageRecord, type ImageStore, type LayerAction, type Progress } from "../image/index.js";
import { DEFAULT_PATH } from "../runtime/index.js";
import { MydockerError } from "../util/errors.js";
import { makeBusyboxRootfs, tarDirectory } from "./busybox.js";
import type { PullPolicy } from "./run-options.js";

const BUSYBOX_NAMES = new Set(["busybox", "busybox:latest", "library/busybox", "library/busybox:latest"]);

export interface EnsureOptions {
  /** docker's --pull: missing by default. */
  pull?: PullPolicy;
  /** os/arch[/variant] to pull for. */
  platform?: string;
}

export function parsePullPolicy(text: string | undefined): PullPolicy | undefined {
  if (text === undefined || text === "always" || text === "missing" || text === "never") return text;
  throw new MydockerError("EINVAL", `invalid pull option: '${text}': must be one of "always", "missing", or "never"`);
}

/** Pull progress as docker prints it off a terminal: a line per layer step. */
function pullLines(notice: (msg: string) => void): Progress {
  const said = new Set<string>();
  const words: Partial<Record<LayerAction, string>> = { waiting: "Pulling fs layer", exists: LayerWords.exists, done: LayerWords.done };
  return (e) => {
    if (e.kind === "step") notice(e.message);
    else if (words[e.action] && !said.has(`${e.id} ${e.action}`)) {
      said.add(`${e.id} ${e.action}`);
      notice(`${shortId(e.id)}: ${words[e.action]}`);
    }
  };
}

/** The image ref names, found or pulled as the policy says; bare busybox made from the host when missing. */
export async function ensureImage(images: ImageStore, ref: string, tmpDir: string, notice: (msg: string) => void, opts: EnsureOptions = {}): Promise<ImageRecord> {
  const policy = opts.pull ?? "missing";
  const found = images.resolve(ref);
  const bootstrap = BUSYBOX_NAMES.has(ref);
  if (found && (policy !== "always" || bootstrap)) return found;
  if (!found && policy === "never") throw new MydockerError("image_not_found", `No such image: ${ref}`);
  if (!bootstrap) {
    if (!found) notice(`Unable to find image '${familiarName(normalizeReference(ref))}' locally`);
    return images.pull(ref, { platform: opts.platform }, pullLines(notice));
  }
  notice(`Unable to find image 'busybox:latest' locally`);
  notice("latest: making busybox from the host's static busybox (/bin/busybox)");
  fs.mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
  const tmp = fs.mkdtempSync(path.join(tmpDir, "busybox-"));
  try {
    makeBusyboxRootfs(tmp);
    const tar = tarDirectory(tmp);
    const [image] = await Promise.all([
      images.importRootfsTar(tar, "busybox:latest", {
        changes: { config: { Cmd: ["sh"], Env: [`PATH=${DEFAULT_PATH}`] }, comment: "made from the host's /bin/busybox" },
      }),
      tar.done,
    ]);
    notice(`Status: Downloaded newer image for busybox:latest`);
    return image;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
