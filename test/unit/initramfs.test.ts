import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { hostRootIsInitramfs, mountinfoRootIsInitramfs } from "../../src/runtime/host-root.js";

test("pivot_root is given up only where / is an initramfs", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-mountinfo-"));
  const file = path.join(dir, "mountinfo");
  fs.writeFileSync(file, "1 1 0:2 / / rw - rootfs rootfs rw\n22 1 0:21 / /proc rw,relatime - proc proc rw\n");
  assert.equal(mountinfoRootIsInitramfs(file), true);
  fs.writeFileSync(file, "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n22 27 0:21 / /proc rw - proc proc rw\n");
  assert.equal(mountinfoRootIsInitramfs(file), false);
  fs.rmSync(dir, { recursive: true });
});

test("the root's line is found past a read's worth of other mounts", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-mountinfo-"));
  const file = path.join(dir, "mountinfo");
  const filler = Array.from({ length: 2000 }, (_, i) => `${100 + i} 1 0:99 / /mnt/m${i} rw - tmpfs tmpfs rw`).join("\n");
  fs.writeFileSync(file, `${filler}\n1 1 0:2 / / rw - rootfs rootfs rw\n`);
  assert.equal(mountinfoRootIsInitramfs(file), true);
  fs.rmSync(dir, { recursive: true });
});

test("a root on a disk filesystem is no initramfs, known without mountinfo", { skip: fs.statfsSync("/").type !== 0xef53 && "this host's root is not on ext2/3/4" }, () => {
  assert.equal(hostRootIsInitramfs(), false);
});
