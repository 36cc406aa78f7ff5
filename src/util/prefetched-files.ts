// Files read at once beforehand (util/fsat.ts readFiles), for listings that read the same few
// files of each of a thousand containers: their state, their exit file, their process's
// /proc entry, their cgroup's files.
import fs from "node:fs";
import { isErrno } from "./errors.js";
import { readFiles } from "./fsat.js";

/** A file's text; undefined when it does not exist. */
export type FileReader = (file: string) => string | undefined;

/** A file's text, undefined when it does not exist (as a reader of files not read beforehand). */
export function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    if (isErrno(e, "ENOENT")) return undefined;
    throw e;
  }
}

export class PrefetchedFiles {
  private readonly texts = new Map<string, string | NodeJS.ErrnoException>();

  /** fallback reads a file not read beforehand; missing: the errors that mean the file is not there. */
  constructor(
    private readonly fallback: FileReader = readIfExists,
    private readonly missing: readonly string[] = ["ENOENT"],
  ) {}

  /** Reads the files now, by a few threads; what each held (or the error met) is kept for read(). */
  prefetch(files: string[]): void {
    readFiles(files).forEach((text, i) => this.texts.set(files[i]!, text));
  }

  /** A file read beforehand as it was then, or any other read now; undefined when it did not exist, other errors thrown. */
  readonly read: FileReader = (file) => {
    const text = this.texts.get(file);
    if (text === undefined) return this.fallback(file);
    if (typeof text === "string") return text;
    if (text.code !== undefined && this.missing.includes(text.code)) return undefined;
    throw text;
  };
}
