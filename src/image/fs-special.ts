// Reading every xattr below a directory with `getfattr --dump` (Debian's `attr`), for
// layer-tar.ts until its walk reads them through directory fds (src/util/fsat.ts).
// Extraction no longer uses a tool: it sets xattrs with the syscalls (layer-extract.ts).
import { spawnSync } from "node:child_process";
import { MydockerError } from "../util/errors.js";

function unquotePath(p: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < p.length; i++) {
    if (p[i] === "\\" && /^[0-7]{3}$/.test(p.slice(i + 1, i + 4))) {
      bytes.push(parseInt(p.slice(i + 1, i + 4), 8));
      i += 3;
    } else bytes.push(...Buffer.from(p[i]!, "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}

/** Every xattr below dir (and of dir itself as "."), by path relative to dir. */
export function readXattrs(dir: string): Map<string, Map<string, Buffer>> {
  const r = spawnSync("getfattr", ["-R", "-P", "-h", "-d", "-m", "-", "-e", "hex", "."], { cwd: dir, encoding: "utf8", maxBuffer: 1 << 30 });
  if (r.error) throw new MydockerError("fs_tool_failed", `reading extended attributes: cannot run getfattr: ${r.error.message}`);
  if (r.status !== 0) throw new MydockerError("fs_tool_failed", `reading extended attributes: getfattr failed: ${r.stderr.trim()}`);
  const result = new Map<string, Map<string, Buffer>>();
  let current: Map<string, Buffer> | undefined;
  for (const line of r.stdout.split("\n")) {
    if (line.startsWith("# file: ")) {
      let rel = unquotePath(line.slice("# file: ".length));
      if (rel.startsWith("./")) rel = rel.slice(2);
      current = new Map();
      result.set(rel === "" ? "." : rel, current);
    } else if (line !== "" && current !== undefined) {
      const eq = line.indexOf("=");
      const name = eq === -1 ? line : line.slice(0, eq);
      const value = eq === -1 ? "" : line.slice(eq + 1);
      current.set(name, value.startsWith("0x") ? Buffer.from(value.slice(2), "hex") : Buffer.from(value.replace(/^"|"$/g, ""), "utf8"));
    }
  }
  return result;
}
