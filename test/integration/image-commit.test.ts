// commit -> save -> load keeps deletions, replaced directories and modes; export shows
// the same files as the kernel's overlayfs. The container's changes are made by the
// kernel itself, in an overlay mounted in a private mount namespace.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { makeBusyboxRootfs } from "../helpers/busybox-rootfs.js";
import { Podman, have, isRoot, kernelView, snapshot, tempDir, tempStore, untar } from "./image-helpers.js";

const skip = isRoot ? false : "needs root (mounts overlayfs, keeps owners and device nodes)";

const changes = [
  "rm $M/etc/group",
  "rm -rf $M/tmp && mkdir $M/tmp && echo n > $M/tmp/n",
  "echo s > $M/suid && chown 99:98 $M/suid && chmod 4711 $M/suid",
  "mknod $M/dev/nulldev c 1 3 && mkfifo $M/ff",
  "ln $M/bin/busybox $M/bb-hard",
  "mkdir -p $M/opt/app && ln -s ../../bin/busybox $M/opt/app/link",
].join(" && ");

test("commit turns overlay whiteouts into OCI whiteouts that survive save and load", { skip }, async () => {
  const work = tempDir();
  const a = tempStore();
  const b = tempStore();
  try {
    const rootfs = path.join(work, "rootfs");
    makeBusyboxRootfs(rootfs);
    execFileSync("tar", ["-C", rootfs, "-cf", path.join(work, "rootfs.tar"), "."]);
    const base = await a.store.importRootfsTar(fs.createReadStream(path.join(work, "rootfs.tar")), "base:1");

    for (const d of ["upper", "work", "mnt"]) fs.mkdirSync(path.join(work, d));
    const upper = path.join(work, "upper");
    const expectedTar = path.join(work, "expected.tar");
    const script = `mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/upper,workdir=$2/work" "$2/mnt" && M="$2/mnt" && ${changes} && tar --numeric-owner -C "$2/mnt" -cf "$3" .`;
    execFileSync("unshare", ["-m", "--propagation", "private", "sh", "-c", script, "sh", a.store.layerDirs(base).join(":"), work, expectedTar]);
    const expected = path.join(work, "expected");
    untar(expectedTar, expected);
    const want = snapshot(expected);
    assert.equal(want["etc/group"], undefined);

    const committed = await a.store.commitLayer(upper, base, { config: { Cmd: ["sh"] }, comment: "test" }, "committed:1");
    assert.equal(committed.layers.length, 2);
    assert.deepEqual(committed.config.config?.Cmd, ["sh"]);
    assert.deepEqual(committed.names, ["docker.io/library/committed:1"]);
    const viewA = path.join(work, "view-a");
    kernelView(a.store.layerDirs(committed), viewA);
    assert.deepEqual(snapshot(viewA), want);

    const exported = path.join(work, "export.tar");
    await a.store.exportRootfs([upper, ...a.store.layerDirs(base)], fs.createWriteStream(exported));
    const exportView = path.join(work, "export");
    untar(exported, exportView);
    assert.deepEqual(snapshot(exportView), want);

    const archive = path.join(work, "committed.tar");
    await a.store.save(["committed:1"], fs.createWriteStream(archive));
    const [loaded] = await b.store.load(fs.createReadStream(archive));
    assert.equal(loaded?.id, committed.id);
    const viewB = path.join(work, "view-b");
    kernelView(b.store.layerDirs(loaded!), viewB);
    assert.deepEqual(snapshot(viewB), want);
    assert.match(snapshot(viewB)["suid"]!, /^file 4711 99:98/);

    if (have("podman")) {
      const podman = new Podman(path.join(work, "p"));
      try {
        podman.run("load", "-i", archive);
        const podmanView = path.join(work, "podman-view");
        podman.exportImage(committed.id.slice("sha256:".length), podmanView);
        assert.deepEqual(snapshot(podmanView), want);
      } finally {
        podman.cleanup();
      }
    }
  } finally {
    a.cleanup();
    b.cleanup();
    fs.rmSync(work, { recursive: true, force: true });
  }
});
