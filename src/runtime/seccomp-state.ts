// Compiled seccomp filters on disk. A profile is compiled once per host, not per container:
// each filter is kept under the run root with what it was compiled from. And a container
// keeps its own (a link to the same file): an exec runs under the container's filter, and
// the runtime keeps no copy of the spec it was made from.
import fs from "node:fs";
import path from "node:path";
import type { LinuxSeccomp } from "../spec/runtime.js";
import { isErrno } from "../util/errors.js";
import { nativeSeccompArch } from "./seccomp-arch.js";
import { compileSeccomp, type SeccompFilter } from "./seccomp-compile.js";

/** Bumped whenever the compiler's output for the same input changes. */
const COMPILER_VERSION = "3";
/** A container id never starts with a dot (state.ts): no container has this directory. */
const CACHE_DIR = ".seccomp";
const FILE = "seccomp";

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    if (isErrno(e, "ENOENT")) return undefined;
    throw e;
  }
}

/**
 * FLAGS and the plan's words, space separated: read back with one split, nothing to convert.
 * A daemon reads the same few filters for every container: one read before is given again
 * (the same object, so the plan's encoding of it is made once too: plan.ts).
 */
function parseWords(line: string): SeccompFilter {
  const seen = parsed.get(line);
  if (seen) return seen;
  const words = line.split(" ");
  const filter = { flags: Number(words.shift()), words };
  if (parsed.size >= PARSED_MAX) parsed.delete(parsed.keys().next().value!);
  parsed.set(line, filter);
  return filter;
}

const parsed = new Map<string, SeccompFilter>();
const PARSED_MAX = 8;

/**
 * The compiled filter of SC and the file it is kept in under RUNROOT. A file is named by
 * the length of its source (no hash: node:crypto alone costs a run more than compiling
 * saves) and never changes once made: its first line is the source it was compiled from,
 * compared in full before it is used; the same length with another source takes the next
 * number. A file is made whole (a temporary, then link(2), which refuses to replace one).
 */
export function compileCached(runRoot: string, sc: LinuxSeccomp): { filter: SeccompFilter; file: string } {
  const source = `${COMPILER_VERSION} ${nativeSeccompArch()} ${JSON.stringify(sc)}`;
  const dir = path.join(runRoot, CACHE_DIR);
  let compiled: SeccompFilter | undefined;
  for (let n = 0; ; n++) {
    const file = path.join(dir, `${source.length}-${n}`);
    const text = readText(file);
    if (text !== undefined) {
      const nl = text.indexOf("\n");
      if (text.slice(0, nl) === source) return { filter: parseWords(text.slice(nl + 1)), file };
      continue;
    }
    compiled ??= compileSeccomp(sc);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${source}\n${[String(compiled.flags), ...compiled.words].join(" ")}`, { mode: 0o600 });
    try {
      fs.linkSync(tmp, file);
    } catch (e) {
      // Another process made this one meanwhile: read it (and maybe go on to the next).
      if (!isErrno(e, "EEXIST")) throw e;
      n--;
      continue;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    return { filter: compiled, file };
  }
}

/** Gives the container whose state directory is DIR the filter kept in FILE. */
export function keepSeccomp(dir: string, file: string): void {
  fs.linkSync(file, path.join(dir, FILE));
}

/** The filter of the container whose state directory is DIR; undefined: it runs without one. */
export function loadSeccomp(dir: string): SeccompFilter | undefined {
  const text = readText(path.join(dir, FILE));
  return text === undefined ? undefined : parseWords(text.slice(text.indexOf("\n") + 1));
}
