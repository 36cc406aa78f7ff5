// docker cp's rules, as data: which directory a tar is made in and of which member, where
// it is extracted, and under what new name. Pure, for both directions.
import path from "node:path";
import { MydockerError } from "../../util/errors.js";

export type PathKind = "dir" | "file" | "missing";

export interface CopyEnd {
  /** The path as the user wrote it (a trailing "/" or "/." means something). */
  given: string;
  kind: PathKind;
}

export interface CopyPlan {
  /** tar is made in this directory... */
  from: string;
  /** ...of this member ("." for a directory's contents)... */
  member: string;
  /** ...and extracted into this directory... */
  into: string;
  /** ...with the member renamed to this, if set. */
  rename?: string;
}

/** The path's parent and base name, "/." and "/" at the end aside; the path is absolute. */
function split(p: string): { parent: string; base: string } {
  const clean = path.posix.normalize(p);
  return { parent: path.posix.dirname(clean), base: path.posix.basename(clean) };
}

/** "dir/." copies a directory's contents, as in docker. */
function contentsOnly(p: string): boolean {
  return p === "." || p.endsWith("/.");
}

/** srcReal: where the source really is (after -L); src.given names it at the destination. */
export function planCopy(src: CopyEnd, srcReal: string, dest: CopyEnd): CopyPlan {
  const real = split(srcReal);
  const name = split(src.given).base;
  const into = path.posix.normalize(dest.given);
  if (src.kind === "missing") throw new MydockerError("ENOENT", `no such file or directory: ${src.given}`);
  if (src.kind === "dir") {
    if (dest.kind === "file") throw new MydockerError("ENOTDIR", `cannot copy a directory onto a file: ${dest.given}`);
    if (dest.kind === "dir") {
      if (contentsOnly(src.given)) return { from: path.posix.normalize(srcReal), member: ".", into };
      return { from: real.parent, member: real.base, into, ...(name !== real.base ? { rename: name } : {}) };
    }
    const d = split(dest.given);
    return { from: path.posix.normalize(srcReal), member: ".", into: d.parent, rename: d.base };
  }
  if (contentsOnly(src.given)) throw new MydockerError("ENOTDIR", `not a directory: ${src.given}`);
  if (dest.kind === "dir") return { from: real.parent, member: real.base, into, ...(name !== real.base ? { rename: name } : {}) };
  if (dest.given.endsWith("/")) {
    throw new MydockerError(
      "ENOENT",
      dest.kind === "missing" ? `destination directory ${dest.given} must exist` : `not a directory: ${dest.given}`,
    );
  }
  const d = split(dest.given);
  return { from: real.parent, member: real.base, into: d.parent, rename: d.base };
}

const BRE_SPECIAL = /[\\^$.*[\]]/g;

/**
 * GNU tar's --transform for a plan's rename: the member's leading name becomes the new
 * one in member names and hard link targets, never in symlink targets (flag S).
 */
export function renameTransform(member: string, rename: string): string {
  const delim = [",", "|", "#", "@", "%", "!", ":", ";", "~"].find((c) => !member.includes(c) && !rename.includes(c));
  if (delim === undefined) throw new MydockerError("EINVAL", `cannot rename ${member} to ${rename}: the names use every delimiter`);
  const pattern = member.replace(BRE_SPECIAL, (c) => `\\${c}`);
  const replacement = rename.replace(/[\\&]/g, (c) => `\\${c}`);
  // Anchored at both ends of the first component: "a" must not rename "ab".
  return `s${delim}^${pattern}\\(/\\|$\\)${delim}${replacement}\\1${delim}S`;
}
