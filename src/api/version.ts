// The API versions we answer: docker's clients ask /_ping for the newest and use the lower
// of it and their own; each request may name its version in a /v1.NN/ prefix.
import { API_VERSION, MIN_API_VERSION } from "../engine/system/version.js";
import { ApiError } from "./http.js";

export { API_VERSION, MIN_API_VERSION };

const minor = (v: string) => Number(v.split(".")[1]);

/** The path without its /v1.NN prefix, and the version it names (the newest without one). */
export function splitVersion(pathname: string): { path: string; version: string } {
  const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(pathname);
  if (!m) return { path: pathname, version: API_VERSION };
  const version = m[1]!;
  if (!version.startsWith("1.") || minor(version) > minor(API_VERSION)) {
    throw new ApiError(400, `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
  }
  if (minor(version) < minor(MIN_API_VERSION)) {
    throw new ApiError(400, `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
  return { path: m[2]!, version };
}

/** Whether the request's version is at least v. */
export function atLeast(version: string, v: string): boolean {
  return minor(version) >= minor(v);
}
