// The first image: busybox, made from the host's static busybox when it is asked for and
// missing (a fresh machine has no registry to pull it from).
import fs from "node:fs";
import path from "node:path";
import type { ImageRecord, ImageStore } from "../image/index.js";
import { DEFAULT_PATH } from "../runtime/index.js";
import { MydockerError } from "../util/errors.js";
import { makeBusyboxRootfs, tarDirectory } from "./busybox.js";

const BUSYBOX_NAMES = new Set(["busybox", "busybox:latest", "docker.io/library/busybox:latest", "library/busybox", "docker.io/library/busybox"]);

/** An image by reference; busybox is made when missing, anything else missing is an error. */
export async function ensureImage(images: ImageStore, ref: string, tmpDir: string, notice: (msg: string) => void): Promise<ImageRecord> {
  const found = images.resolve(ref);
  if (found) return found;
  if (!BUSYBOX_NAMES.has(ref)) {
    throw new MydockerError("ENOIMAGE", `Unable to find image '${ref}' locally: import, load or pull it first`);
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
