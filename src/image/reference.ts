// Image references resolved the way docker resolves them:
//   busybox            -> docker.io/library/busybox:latest
//   user/app:1         -> docker.io/user/app:1
//   host:5000/repo:tag -> host:5000/repo:tag
//   repo@sha256:...    -> docker.io/library/repo@sha256:...
import { MydockerError } from "../util/errors.js";

export const DefaultDomain = "docker.io";
export const DefaultTag = "latest";

export interface ImageReference {
  /** Registry host[:port], e.g. "docker.io", "127.0.0.1:5000". */
  domain: string;
  /** Repository path below the domain, e.g. "library/busybox". */
  path: string;
  tag?: string;
  digest?: string;
}

const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const tagPattern = /^[\w][\w.-]{0,127}$/;
const digestPattern = /^sha256:[0-9a-f]{64}$/;
const domainPattern =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$/;
const fullHexId = /^[0-9a-f]{64}$/;

function invalid(text: string, why: string): MydockerError {
  return new MydockerError("invalid_reference", `invalid reference format "${text}": ${why}`);
}

/** Parses a reference; a missing tag stays missing (see withDefaultTag). */
export function parseReference(text: string): ImageReference {
  if (text.length === 0) throw invalid(text, "empty");
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestPattern.test(digest)) throw invalid(text, "the digest must be sha256: and 64 lowercase hex digits");
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(":");
  if (lastColon > rest.lastIndexOf("/")) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!tagPattern.test(tag)) throw invalid(text, `"${tag}" is not a valid tag`);
  }
  if (fullHexId.test(rest) && tag === undefined && digest === undefined) {
    throw invalid(text, "a repository name cannot be a 64-character hexadecimal string");
  }
  let domain = DefaultDomain;
  let path = rest;
  const slash = rest.indexOf("/");
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase()) {
      domain = first;
      path = rest.slice(slash + 1);
      if (!domainPattern.test(domain)) throw invalid(text, `"${domain}" is not a valid registry host`);
    }
  }
  if (domain === "index.docker.io") domain = DefaultDomain;
  if (domain === DefaultDomain && !path.includes("/")) path = `library/${path}`;
  if (path.length === 0) throw invalid(text, "the repository name is empty");
  for (const component of path.split("/")) {
    if (!pathComponent.test(component)) {
      throw invalid(text, "repository names must be lowercase letters, digits and separators (. _ __ -)");
    }
  }
  if (domain.length + 1 + path.length > 255) throw invalid(text, "the repository name is longer than 255 characters");
  return { domain, path, tag, digest };
}

/** A reference with "latest" when it names neither a tag nor a digest. */
export function withDefaultTag(ref: ImageReference): ImageReference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: DefaultTag } : ref;
}

export function repositoryOf(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The full form stored as an image name: "docker.io/library/busybox:latest". */
export function formatReference(ref: ImageReference): string {
  let text = repositoryOf(ref);
  if (ref.tag !== undefined) text += `:${ref.tag}`;
  if (ref.digest !== undefined) text += `@${ref.digest}`;
  return text;
}

/** Parses and fills in the defaults: the canonical name of what the user typed. */
export function normalizeReference(text: string): string {
  return formatReference(withDefaultTag(parseReference(text)));
}

/** The short form docker shows: "busybox:latest", "user/app:1", "host:5000/repo:tag". */
export function familiarName(full: string): string {
  if (full.startsWith(`${DefaultDomain}/library/`)) return full.slice(`${DefaultDomain}/library/`.length);
  if (full.startsWith(`${DefaultDomain}/`)) return full.slice(`${DefaultDomain}/`.length);
  return full;
}
