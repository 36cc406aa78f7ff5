// The first image: made from the host's static busybox (Debian's busybox-static) when
// `run busybox` finds no such image, the way docker would pull it.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { MydockerError } from "../util/errors.js";

export const HOST_BUSYBOX = "/bin/busybox";

const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`;
const GROUP = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
wheel:x:10:root
staff:x:50:
www-data:x:33:
nogroup:x:65534:
`;

function isStaticBusybox(file: string): boolean {
  try {
    const r = spawnSync(file, ["--list-full"], { encoding: "utf8" });
    return r.status === 0 && r.stdout.includes("bin/sh");
  } catch {
    return false;
  }
}

/** Lays out a busybox root filesystem in dir (which must be empty). */
export function makeBusyboxRootfs(dir: string, busybox = HOST_BUSYBOX): void {
  if (!fs.existsSync(busybox) || !isStaticBusybox(busybox)) {
    throw new MydockerError("ENOBUSYBOX", `cannot make the busybox image: ${busybox} is missing or not busybox (apt-get install -y busybox-static)`);
  }
  for (const d of ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "root", "home", "var/www", "proc", "sys", "dev", "tmp"]) {
    fs.mkdirSync(path.join(dir, d), { recursive: true, mode: 0o755 });
  }
  fs.chmodSync(path.join(dir, "tmp"), 0o1777);
  fs.chmodSync(path.join(dir, "root"), 0o700);
  fs.copyFileSync(busybox, path.join(dir, "bin/busybox"));
  fs.chmodSync(path.join(dir, "bin/busybox"), 0o755);
  const applets = spawnSync(busybox, ["--list-full"], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
  for (const applet of applets) {
    const link = path.join(dir, applet);
    if (applet === "bin/busybox" || fs.existsSync(link)) continue;
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync("/bin/busybox", link);
  }
  fs.writeFileSync(path.join(dir, "etc/passwd"), PASSWD);
  fs.writeFileSync(path.join(dir, "etc/group"), GROUP);
  fs.writeFileSync(path.join(dir, "etc/hostname"), "localhost\n");
}

/** A tar stream of dir (as `docker export` would make of it). */
export function tarDirectory(dir: string): NodeJS.ReadableStream & { done: Promise<void> } {
  const child = spawn("tar", ["--numeric-owner", "--xattrs", "-C", dir, "-cf", "-", "."], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const done = new Promise<void>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new MydockerError("ETAR", `tar of ${dir} failed: ${err.trim()}`))));
  });
  return Object.assign(child.stdout, { done });
}
