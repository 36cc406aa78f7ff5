// A bundle's config.json, and the container errors in runc's words (which callers match:
// containerd maps "does not exist" and "container not running" to its own errors).
import fs from "node:fs";
import path from "node:path";
import type { Spec } from "../spec/runtime.js";
import { isErrno, MydockerError } from "../util/errors.js";

export function readBundleSpec(bundle: string): Spec {
  const file = path.join(bundle, "config.json");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if (isErrno(e, "ENOENT")) throw new MydockerError("not-found", `JSON specification file config.json not found in ${bundle}`);
    throw e;
  }
  try {
    return JSON.parse(text) as Spec;
  } catch (e) {
    throw new MydockerError("invalid-spec", `${file}: not JSON: ${(e as Error).message}`);
  }
}

export const notExist = (): MydockerError => new MydockerError("not-found", "container does not exist");
export const notRunning = (): MydockerError => new MydockerError("bad-state", "container not running");

/** A file argument relative to the caller's directory (the runtime works from "/"). */
export function absolute(file: string | undefined): string | undefined {
  return file === undefined ? undefined : path.resolve(file);
}
