// Compiled seccomp filters on disk. A profile is compiled once per host, not per container:
// filters are kept under the run root by a hash of what they were compiled from. And a
// container keeps its own (a link to the same file): an exec runs under the container's
// filter, and the runtime keeps no copy of the spec it was made from.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { LinuxSeccomp } from "../spec/runtime.js";
import { isErrno } from "../util/errors.js";
import { nativeSeccompArch } from "./seccomp-arch.js";
import { compileSeccomp, type SeccompFilter } from "./seccomp-compile.js";

/** Bumped whenever the compiler's output for the same input changes. */
const COMPILER_VERSION = "1";
/** A container id never starts with a dot (state.ts): no container has this directory. */
const CACHE_DIR = ".seccomp";
const FILE = "seccomp.json";

function encode(f: SeccompFilter): string {
  return JSON.stringify({ flags: f.flags, program: f.program.flatMap((i) => [i.code, i.jt, i.jf, i.k]) });
}

function read(file: string): SeccompFilter | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if (isErrno(e, "ENOENT")) return undefined;
    throw e;
  }
  const { flags, program } = JSON.parse(text) as { flags: number; program: number[] };
  const insns = [];
  for (let i = 0; i < program.length; i += 4) insns.push({ code: program[i], jt: program[i + 1], jf: program[i + 2], k: program[i + 3] });
  return { flags, program: insns };
}

/** The compiled filter of SC (from the cache under RUNROOT, or compiled and put there) and its file. */
export function compileCached(runRoot: string, sc: LinuxSeccomp): { filter: SeccompFilter; file: string } {
  const key = createHash("sha256").update(`${COMPILER_VERSION}\0${nativeSeccompArch()}\0${JSON.stringify(sc)}`).digest("hex");
  const dir = path.join(runRoot, CACHE_DIR);
  const file = path.join(dir, `${key}.json`);
  const cached = read(file);
  if (cached) return { filter: cached, file };
  const filter = compileSeccomp(sc);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, encode(filter), { mode: 0o600 });
  fs.renameSync(tmp, file);
  return { filter, file };
}

/** Gives the container whose state directory is DIR the filter in FILE. */
export function keepSeccomp(dir: string, file: string): void {
  const own = path.join(dir, FILE);
  try {
    fs.linkSync(file, own);
  } catch (e) {
    if (!isErrno(e, "EXDEV") && !isErrno(e, "EPERM")) throw e;
    fs.copyFileSync(file, own);
  }
}

/** The filter of the container whose state directory is DIR; undefined: it runs without one. */
export function loadSeccomp(dir: string): SeccompFilter | undefined {
  return read(path.join(dir, FILE));
}
