// The host's device nodes, for --privileged: docker gives such a container every device
// under the host's /dev (runc's HostDevices), where a normal one gets the default few.
import fs from "node:fs";
import path from "node:path";
import type { Device } from "../spec/runtime.js";
import { deviceNumbers } from "../util/device-numbers.js";

/** Directories of /dev that hold no device of the host's own: filesystems and bookkeeping. */
const SKIPPED_DIRS = new Set(["pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"]);

/** Every character and block device below dir, as the container sees it (under /dev). */
export function hostDevices(dir = "/dev", inContainer = "/dev"): Device[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: Device[] = [];
  for (const e of entries) {
    const host = path.join(dir, e.name);
    const target = path.posix.join(inContainer, e.name);
    if (e.isDirectory()) {
      if (!SKIPPED_DIRS.has(e.name)) out.push(...hostDevices(host, target));
      continue;
    }
    // The console is the container's own (a pty, with -t); links are not devices.
    if (e.name === "console" || !(e.isCharacterDevice() || e.isBlockDevice())) continue;
    const st = fs.lstatSync(host, { throwIfNoEntry: false });
    if (st) out.push(deviceFromStat(st, target));
  }
  return out;
}

/** A host device node as the spec's device at target: its type, numbers, mode and owner. */
export function deviceFromStat(st: fs.Stats, target: string): Device {
  return { type: st.isBlockDevice() ? "b" : "c", path: target, ...deviceNumbers(st.rdev), fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}
