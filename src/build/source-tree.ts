// Where COPY and ADD read from: the build context (one directory, with .dockerignore) or
// an earlier stage's or another image's layers (a stack of overlay directories). Both are
// untrusted trees, read through directory fds (image/overlay-view.ts): a symlink in them is
// interpreted inside the tree, never followed by the kernel to the host.
import fs from "node:fs";
import { fdPath } from "../util/fsat.js";
import { MydockerError } from "../util/errors.js";
import { MergedDir, openRegularAt, resolveInView } from "../image/overlay-view.js";

export interface SourceTree {
  /** Trusted host directories, topmost first (the context is one). */
  dirs: readonly string[];
  /** Whether a path relative to the tree's root is left out (.dockerignore); never for the root. */
  ignored?: (rel: string) => boolean;
  /** The ignore rules have exceptions (!pattern): ignored directories must still be walked. */
  exceptions?: boolean;
}

/** One node met by a walk: its path in the tree, what it is, and how to read it. */
export interface TreeNode {
  rel: string;
  st: fs.Stats;
  /** For a symlink: where it points. */
  linkTarget?: string;
  /** For a regular file: an fd to read it (the caller closes it). */
  open?: () => number;
}

/**
 * A node; its file is opened later, after the walk closed its directories: by looking its
 * path up in the tree again, and only if it is still the file that was seen.
 */
function node(tree: SourceTree, dir: MergedDir, index: number, name: string, rel: string, st: fs.Stats, full = rel): TreeNode {
  if (st.isSymbolicLink()) return { rel, st, linkTarget: fs.readlinkSync(fdPath(dir.fds[index]!, name)) };
  if (!st.isFile()) return { rel, st };
  const open = () => {
    const fd = resolveInView(tree.dirs, full, (d, n, found) => openRegularAt(d.fds[found.index]!, n, st));
    if (fd === undefined) throw new MydockerError("ECHANGED", `${full} was removed while the build read it`);
    return fd;
  };
  return { rel, st, open };
}

/** Every node under dir (depth first, sorted by name); descend says which directories to enter. */
function* walkAll(tree: SourceTree, dir: MergedDir, prefix: string, rel: string, descend: (rel: string) => boolean): Generator<TreeNode> {
  for (const [name] of dir.names()) {
    const found = dir.lookup(name);
    if (found === undefined) continue;
    const childRel = rel === "" ? name : `${rel}/${name}`;
    yield node(tree, dir, found.index, name, childRel, found.st, prefix === "" ? childRel : `${prefix}/${childRel}`);
    if (!found.st.isDirectory() || !descend(childRel)) continue;
    const sub = dir.child(name, found.index);
    if (sub === undefined) continue;
    try {
      yield* walkAll(tree, sub, prefix, childRel, descend);
    } finally {
      sub.close();
    }
  }
}

/**
 * The walk without the ignored nodes. An ignored directory is entered only when exceptions
 * (!pattern) may keep something in it; what is kept there comes after its parents.
 */
function* filtered(tree: SourceTree, dir: MergedDir, prefix: string): Generator<TreeNode> {
  const ignored = tree.ignored;
  const full = (rel: string) => (prefix === "" ? rel : `${prefix}/${rel}`);
  if (ignored === undefined) {
    yield* walkAll(tree, dir, prefix, "", () => true);
    return;
  }
  const pending: TreeNode[] = [];
  for (const n of walkAll(tree, dir, prefix, "", (rel) => tree.exceptions === true || !ignored(full(rel)))) {
    while (pending.length > 0 && !n.rel.startsWith(`${pending[pending.length - 1]!.rel}/`)) pending.pop();
    if (ignored(full(n.rel))) {
      if (n.st.isDirectory()) pending.push(n);
      continue;
    }
    yield* pending.splice(0);
    yield n;
  }
}

/** The node at rel (symlinks on the way followed inside the tree; the last one too when follow). */
export function statIn(tree: SourceTree, rel: string): TreeNode | undefined {
  // An image without layers (a stage FROM scratch with nothing copied) has nothing in it.
  if (tree.dirs.length === 0) return undefined;
  if (rel === "" || rel === ".") {
    const root = MergedDir.open(tree.dirs);
    try {
      return { rel: "", st: fs.fstatSync(root.fds[0]!) };
    } finally {
      root.close();
    }
  }
  return resolveInView(tree.dirs, rel, (dir, name, found) => node(tree, dir, found.index, name, rel, found.st));
}

/** Every node under the directory at rel, with paths relative to rel; nothing when rel is not a directory. */
export function* walkTree(tree: SourceTree, rel: string): Generator<TreeNode> {
  if (tree.dirs.length === 0) return;
  const root = MergedDir.open(tree.dirs);
  const stack = [root];
  try {
    let dir = root;
    let prefix = "";
    for (const part of rel.split("/").filter((p) => p !== "" && p !== ".")) {
      const found = dir.lookup(part);
      const sub = found?.st.isDirectory() ? dir.child(part, found.index) : undefined;
      if (sub === undefined) return;
      stack.push(sub);
      dir = sub;
      prefix = prefix === "" ? part : `${prefix}/${part}`;
    }
    yield* filtered(tree, dir, prefix);
  } finally {
    for (const d of stack) d.close();
  }
}

/** Go's filepath.Match for one path: * and ? never cross "/", [..] classes, escapes. */
export function globToRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "\\" && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) re += "\\[";
      else {
        const cls = pattern.slice(i + 1, end).replace(/^\^/, "!");
        re += `[${cls.startsWith("!") ? `^${cls.slice(1)}` : cls}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

export const hasGlob = (p: string): boolean => /[*?[]/.test(p);

/** The paths in the tree that a COPY source names: itself, or every match of its glob. */
export function matchSources(tree: SourceTree, pattern: string): string[] {
  const clean = pattern.split("/").filter((p) => p !== "" && p !== ".").join("/");
  // The root itself is never ignored (`COPY . /app` with any .dockerignore).
  if (!hasGlob(clean)) return statIn(tree, clean) !== undefined && (clean === "" || !tree.ignored?.(clean)) ? [clean] : [];
  const depth = clean.split("/").length;
  const re = globToRegExp(clean);
  const out: string[] = [];
  for (const n of walkTree(tree, "")) {
    if (n.rel.split("/").length === depth && re.test(n.rel)) out.push(n.rel);
  }
  return out;
}
