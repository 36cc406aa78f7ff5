// Parsers for docker's repeated and typed flag values.
import fs from "node:fs";
import { FlagError, MydockerError } from "../util/errors.js";

/** An integer flag's value as Go's strconv.ParseInt reads it (docker's flags), or docker's words naming the flag. */
export function intFlag(flag: string, value: string): number {
  if (!/^[-+]?\d+$/.test(value)) throw new FlagError("EINVAL", `invalid argument "${value}" for "${flag}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`);
  return Number(value);
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `-e K=V` as given; `-e K` takes K from the caller's environment (and is dropped when unset), as docker does. */
export function envFromFlags(env: string[], envFiles: string[]): string[] {
  const out: string[] = [];
  const add = (entry: string) => {
    if (entry.includes("=")) out.push(entry);
    else if (process.env[entry] !== undefined) out.push(`${entry}=${process.env[entry]}`);
  };
  for (const file of envFiles) {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      throw new MydockerError("EINVAL", `--env-file ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
    }
    for (const line of text.split("\n")) {
      const l = line.replace(/^\s+/, "");
      if (l === "" || l.startsWith("#")) continue;
      if (l.startsWith("=")) throw new MydockerError("EINVAL", `--env-file ${file}: invalid environment variable: ${l}`);
      add(l);
    }
  }
  for (const e of env) {
    if (e.startsWith("=")) throw new MydockerError("EINVAL", `invalid environment variable: ${e}`);
    add(e);
  }
  return out;
}
