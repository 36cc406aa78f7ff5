// Archives made by podman load with the right content (as the kernel's overlayfs shows
// our layers), and archives we save load into podman with the same content.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { makeBusyboxRootfs } from "../helpers/busybox-rootfs.js";
import { Podman, have, isRoot, kernelView, snapshot, tempDir, tempStore } from "./image-helpers.js";

const skip = !isRoot ? "needs root (layers keep owners and device nodes)" : !have("podman") || !have("runc") ? "needs podman and runc" : false;

// Changes made in containers and committed by podman: deletions, a directory replaced
// (an opaque directory), hard links, symlinks, setuid/setgid files, other owners, a fifo.
const layer2 = [
  "rm /data/gone",
  "rm -rf /olddir && mkdir /olddir && echo new > /olddir/c",
  "echo x > /h1 && ln /h1 /h2 && ln -s /h1 /sym",
  "cp /bin/busybox /suid && chmod 4755 /suid",
  "echo o > /owned && chown 1234:4321 /owned && chmod 2750 /owned",
  "mkfifo /fifo",
].join(" && ");
const layer3 = "rm /h2 && mkdir -p /data/sub && echo deep > /data/sub/f && rm -rf /etc/group";

let podman: Podman;
let work: string;

before(() => {
  if (skip) return;
  work = tempDir();
  podman = new Podman(path.join(work, "podman"));
  const rootfs = path.join(work, "rootfs");
  makeBusyboxRootfs(rootfs);
  fs.mkdirSync(path.join(rootfs, "data"));
  fs.writeFileSync(path.join(rootfs, "data/keep"), "keep\n");
  fs.writeFileSync(path.join(rootfs, "data/gone"), "gone\n");
  fs.mkdirSync(path.join(rootfs, "olddir"));
  fs.writeFileSync(path.join(rootfs, "olddir/a"), "a\n");
  execFileSync("tar", ["-C", rootfs, "-cf", path.join(work, "base.tar"), "."]);
  podman.run("import", path.join(work, "base.tar"), "localhost/base:latest");
  podman.container("c1", "localhost/base:latest", layer2);
  podman.run("commit", "c1", "localhost/multi:1");
  podman.container("c2", "localhost/multi:1", layer3);
  podman.run("commit", "c2", "localhost/multi:2");
});

after(() => {
  if (skip) return;
  podman.cleanup();
  fs.rmSync(work, { recursive: true, force: true });
});

for (const format of ["docker-archive", "oci-archive"] as const) {
  test(`podman save --format ${format}: load gives the same files, save loads back into podman`, { skip }, async () => {
    const t = tempStore();
    try {
      const archive = path.join(work, `multi-${format}.tar`);
      podman.run("save", "--format", format, "-o", archive, "localhost/multi:2");
      const [image] = await t.store.load(fs.createReadStream(archive));
      assert.ok(image);
      assert.deepEqual(image.names, ["localhost/multi:2"]);
      assert.equal(image.layers.length, 3);

      const podmanView = path.join(work, `podman-view-${format}`);
      podman.exportImage("localhost/multi:2", podmanView);
      const ours = path.join(work, `our-view-${format}`);
      kernelView(t.store.layerDirs(image), ours);
      const want = snapshot(podmanView);
      const got = snapshot(ours);
      assert.deepEqual(got, want);
      assert.equal(got["data/gone"], undefined);
      assert.equal(got["olddir/a"], undefined);
      assert.match(got["olddir/c"]!, /^file 644/);
      assert.match(got["suid"]!, /^file 4755 0:0/);
      assert.match(got["owned"]!, /^file 2750 1234:4321/);
      assert.match(got["sym"]!, /-> \/h1$/);
      assert.match(got["fifo"]!, /^fifo/);

      // Our save, loaded by podman into a fresh store, shows the same files.
      const saved = path.join(work, `ours-${format}.tar`);
      await t.store.save(["localhost/multi:2"], fs.createWriteStream(saved), format);
      const back = new Podman(path.join(work, `b${format[0]}`));
      try {
        back.run("load", "-i", saved);
        const backView = path.join(work, `back-view-${format}`);
        back.exportImage("localhost/multi:2", backView);
        assert.deepEqual(snapshot(backView), want);
        assert.match(back.run("images", "--no-trunc", "--format", "{{.ID}}"), new RegExp(image.id.slice(7)));
      } finally {
        back.cleanup();
      }
    } finally {
      t.cleanup();
    }
  });
}
