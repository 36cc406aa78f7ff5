// The two file-system operations Node has no API for: mknod (device nodes, fifos and
// overlay whiteouts) and extended attributes. Both are batched into one child process
// per layer: `sh` running mknod for nodes, and `setfattr --restore`/`getfattr --dump`
// (Debian's `attr` package) for xattrs.
import { spawnSync } from "node:child_process";
import { MydockerError } from "../util/errors.js";

export interface SpecialNode {
  path: string;
  type: "char" | "block" | "fifo";
  major: number;
  minor: number;
}

export interface Xattr {
  path: string;
  name: string;
  value: Buffer;
}

const MaxArgsPerSpawn = 4000;

function run(command: string, args: string[], input: string | undefined, what: string, cwd?: string): string {
  const r = spawnSync(command, args, { input, cwd, encoding: "utf8", maxBuffer: 1 << 30 });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === "ENOENT";
    throw new MydockerError("fs_tool_failed", `${what}: cannot run ${command}${missing ? " (install it: apt-get install attr coreutils)" : ""}: ${r.error.message}`);
  }
  if (r.status !== 0) throw new MydockerError("fs_tool_failed", `${what}: ${command} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

const mknodScript =
  'while [ $# -gt 0 ]; do if [ "$2" = p ]; then mknod -- "$1" p; else mknod -- "$1" "$2" "$3" "$4"; fi || exit 1; shift 4; done';

/** Creates the nodes (which must not exist yet); owners, modes and times are the caller's job. */
export function makeNodes(nodes: SpecialNode[]): void {
  for (let i = 0; i < nodes.length; i += MaxArgsPerSpawn / 4) {
    const args: string[] = [];
    for (const n of nodes.slice(i, i + MaxArgsPerSpawn / 4)) {
      args.push(n.path, n.type === "char" ? "c" : n.type === "block" ? "b" : "p", String(n.major), String(n.minor));
    }
    run("sh", ["-c", mknodScript, "mknod", ...args], undefined, "creating device nodes");
  }
}

/** Escapes a path the way getfattr prints it and setfattr --restore reads it. */
function quotePath(p: string): string {
  let out = "";
  for (const byte of Buffer.from(p, "utf8")) {
    out += byte > 0x20 && byte < 0x7f && byte !== 0x5c && byte !== 0x3d ? String.fromCharCode(byte) : `\\${byte.toString(8).padStart(3, "0")}`;
  }
  return out;
}

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

/** Sets xattrs without following symlinks; paths relative to cwd. */
export function setXattrs(cwd: string, xattrs: Xattr[]): void {
  if (xattrs.length === 0) return;
  let dump = "";
  for (const x of xattrs) dump += `# file: ${quotePath(x.path)}\n${x.name}=0x${x.value.toString("hex")}\n\n`;
  run("setfattr", ["-h", "--restore=-"], dump, "setting extended attributes", cwd);
}

/** Every xattr below dir (and of dir itself as "."), by path relative to dir. */
export function readXattrs(dir: string): Map<string, Map<string, Buffer>> {
  const out = run("getfattr", ["-R", "-P", "-h", "-d", "-m", "-", "-e", "hex", "."], undefined, "reading extended attributes", dir);
  const result = new Map<string, Map<string, Buffer>>();
  let current: Map<string, Buffer> | undefined;
  for (const line of out.split("\n")) {
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
