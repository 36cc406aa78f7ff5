// A minimal busybox root filesystem for tests, made from the host's static busybox.
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const PASSWD = [
  "root:x:0:0:root:/root:/bin/sh",
  "nobody:x:65534:65534:nobody:/nonexistent:/bin/false",
  "app:x:1000:1000:app:/home/app:/bin/sh",
];
const GROUP = ["root:x:0:", "nobody:x:65534:", "app:x:1000:"];

/** Fills DIR (created if missing) with busybox and its applets, users root, nobody and app. */
export function makeBusyboxRootfs(dir: string): void {
  for (const d of ["bin", "etc", "proc", "dev", "sys", "tmp", "root", "home/app"]) {
    mkdirSync(path.join(dir, d), { recursive: true });
  }
  const busybox = path.join(dir, "bin/busybox");
  copyFileSync("/bin/busybox", busybox);
  chmodSync(busybox, 0o755);
  execFileSync("chroot", [dir, "/bin/busybox", "--install", "-s", "/bin"]);
  writeFileSync(path.join(dir, "etc/passwd"), PASSWD.join("\n") + "\n");
  writeFileSync(path.join(dir, "etc/group"), GROUP.join("\n") + "\n");
  chmodSync(path.join(dir, "tmp"), 0o1777);
  chmodSync(path.join(dir, "root"), 0o700);
  chownSync(path.join(dir, "home/app"), 1000, 1000);
}
