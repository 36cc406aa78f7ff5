// Turns an OCI mount's options ("ro", "nosuid", "mode=755", "rshared", ...) into the
// flags and data of mount(2), the way runc reads them.
import * as L from "./linux.js";

/** option -> [flags it sets, flags it clears] */
export const FLAG_OPTIONS: ReadonlyMap<string, readonly [number, number]> = new Map([
  ["async", [0, L.MS_SYNCHRONOUS]],
  ["atime", [0, L.MS_NOATIME]],
  ["bind", [L.MS_BIND, 0]],
  ["defaults", [0, 0]],
  ["dev", [0, L.MS_NODEV]],
  ["diratime", [0, L.MS_NODIRATIME]],
  ["dirsync", [L.MS_DIRSYNC, 0]],
  ["exec", [0, L.MS_NOEXEC]],
  ["iversion", [L.MS_I_VERSION, 0]],
  ["lazytime", [L.MS_LAZYTIME, 0]],
  ["loud", [0, L.MS_SILENT]],
  ["mand", [L.MS_MANDLOCK, 0]],
  ["noatime", [L.MS_NOATIME, 0]],
  ["nodev", [L.MS_NODEV, 0]],
  ["nodiratime", [L.MS_NODIRATIME, 0]],
  ["noexec", [L.MS_NOEXEC, 0]],
  ["noiversion", [0, L.MS_I_VERSION]],
  ["nolazytime", [0, L.MS_LAZYTIME]],
  ["nomand", [0, L.MS_MANDLOCK]],
  ["norelatime", [0, L.MS_RELATIME]],
  ["nostrictatime", [0, L.MS_STRICTATIME]],
  ["nosuid", [L.MS_NOSUID, 0]],
  ["nosymfollow", [L.MS_NOSYMFOLLOW, 0]],
  ["rbind", [L.MS_BIND | L.MS_REC, 0]],
  ["relatime", [L.MS_RELATIME, 0]],
  ["remount", [L.MS_REMOUNT, 0]],
  ["ro", [L.MS_RDONLY, 0]],
  ["rw", [0, L.MS_RDONLY]],
  ["silent", [L.MS_SILENT, 0]],
  ["strictatime", [L.MS_STRICTATIME, 0]],
  ["suid", [0, L.MS_NOSUID]],
  ["sync", [L.MS_SYNCHRONOUS, 0]],
]);

export const PROPAGATION_FLAGS: ReadonlyMap<string, number> = new Map([
  ["private", L.MS_PRIVATE],
  ["rprivate", L.MS_PRIVATE | L.MS_REC],
  ["shared", L.MS_SHARED],
  ["rshared", L.MS_SHARED | L.MS_REC],
  ["slave", L.MS_SLAVE],
  ["rslave", L.MS_SLAVE | L.MS_REC],
  ["unbindable", L.MS_UNBINDABLE],
  ["runbindable", L.MS_UNBINDABLE | L.MS_REC],
]);

/** Options runc accepts that change nothing in mount(2) for us. */
const IGNORED = new Set(["tmpcopyup"]);

interface MountOptions {
  flags: number;
  /** Each propagation option, applied by its own mount(2) call after the mount. */
  propagation: number[];
  /** Everything else, comma separated, for the filesystem. */
  data: string;
}

export function parseMountOptions(options: readonly string[] | undefined): MountOptions {
  let flags = 0;
  const propagation: number[] = [];
  const data: string[] = [];
  for (const option of options ?? []) {
    const flag = FLAG_OPTIONS.get(option);
    const prop = PROPAGATION_FLAGS.get(option);
    if (flag) {
      flags = (flags | flag[0]) & ~flag[1];
    } else if (prop !== undefined) {
      propagation.push(prop);
    } else if (!IGNORED.has(option)) {
      data.push(option);
    }
  }
  return { flags, propagation, data: data.join(",") };
}
