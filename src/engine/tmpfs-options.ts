// Tmpfs mount options the way docker merges them (moby's mount.MergeTmpfsOptions): later
// options win over earlier ones of the same kind, and only known options are accepted.
import { MydockerError } from "../util/errors.js";

// Options that set or clear the same mount flag share a group: "ro" and "rw" collide.
const FLAG_GROUPS: Record<string, string> = {
  ro: "rdonly", rw: "rdonly", suid: "nosuid", nosuid: "nosuid", dev: "nodev", nodev: "nodev",
  exec: "noexec", noexec: "noexec", sync: "sync", async: "sync", dirsync: "dirsync",
  mand: "mand", nomand: "mand", atime: "noatime", noatime: "noatime",
  diratime: "nodiratime", nodiratime: "nodiratime",
  relatime: "relatime", norelatime: "relatime", strictatime: "strictatime", nostrictatime: "strictatime",
  // There is only one propagation mode.
  unbindable: "propagation", runbindable: "propagation", private: "propagation",
  rprivate: "propagation", shared: "propagation", rshared: "propagation",
  slave: "propagation", rslave: "propagation",
};

// Options that would make the mount something other than a new tmpfs: a bind of a host
// path (the mount's source), or a change to a mount that is already there.
const NOT_TMPFS = new Set(["bind", "rbind", "remount", "move"]);

const DATA_KEYS = new Set(["size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol"]);

/** What docker puts before the user's options on every tmpfs mount. */
export const TMPFS_DEFAULTS = ["noexec", "nosuid", "nodev", "rprivate"];

export function mergeTmpfsOptions(options: readonly string[]): string[] {
  const seen = new Set<string>();
  const merged: string[] = [];
  for (let i = options.length - 1; i >= 0; i--) {
    const option = options[i];
    if (option === "defaults") continue;
    if (NOT_TMPFS.has(option)) {
      throw new MydockerError("EINVAL", `invalid tmpfs option "${option}": a tmpfs mount cannot be a ${option === "remount" || option === "move" ? option : "bind mount"}`);
    }
    let key = FLAG_GROUPS[option];
    if (key === undefined) {
      const eq = option.indexOf("=");
      const parts = eq < 0 ? [option] : [option.slice(0, eq), option.slice(eq + 1)];
      if (parts.length !== 2 || !DATA_KEYS.has(parts[0])) {
        throw new MydockerError("EINVAL", `invalid tmpfs option [${parts.map((p) => JSON.stringify(p)).join(" ")}]`);
      }
      key = `data:${parts[0]}`;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    merged.unshift(option);
  }
  return merged;
}

// docker's `--mount type=tmpfs` options as tmpfs data: size with the largest binary suffix
// that divides it, mode in octal.
export function tmpfsData(opts: { readonly: boolean; sizeBytes?: number; mode?: number }): string[] {
  const out: string[] = [];
  if (opts.readonly) out.push("ro");
  if (opts.mode) out.push(`mode=${opts.mode.toString(8)}`);
  if (opts.sizeBytes) {
    let size = opts.sizeBytes;
    let suffix = "";
    for (const s of ["k", "m", "g"]) {
      if (size % 1024 !== 0) break;
      size /= 1024;
      suffix = s;
    }
    out.push(`size=${size}${suffix}`);
  }
  return out;
}

const UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

// docker's units.RAMInBytes: "64m", "1.5g", "512KiB", "1024".
export function ramInBytes(value: string): number | undefined {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (Number.isNaN(n)) return undefined;
  return Math.trunc(n * UNITS[(m[2] ?? "").toLowerCase()]);
}
