// Settings files (docker's config.json, podman's auth.json, the engine's daemon.json):
// a missing file is an empty one; an unreadable or malformed one is a clear error.
import fs from "node:fs";
import { MydockerError, isErrno } from "./errors.js";

/** The JSON object in file, {} when there is no file. */
export function readJsonObject(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if (isErrno(e, "ENOENT")) return {};
    throw new MydockerError("config_error", `reading ${file}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new MydockerError("config_error", `${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new MydockerError("config_error", `${file}: expected a JSON object`);
  return parsed as Record<string, unknown>;
}
