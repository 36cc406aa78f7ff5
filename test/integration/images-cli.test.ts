// Images through the command line: a podman-made image loads and runs; commit, save and
// load keep deletions and modes; our save loads into podman and runs the same there;
// rmi is refused while a container uses the image.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { isRoot, mydocker, NOT_ROOT, tempRoots, type Roots } from "../helpers/cli.js";
import { have, Podman } from "./image-helpers.js";

const skip = !isRoot() ? NOT_ROOT : !have("podman") || !have("runc") ? "needs podman and runc (scripts/install-deps.sh)" : false;
let roots: Roots;
let podman: Podman;
const md = (...args: string[]) => mydocker(roots, args);

before(() => {
  if (skip) return;
  roots = tempRoots();
  podman = new Podman(path.join(roots.root, "..", "podman"));
  assert.equal(md("run", "--rm", "busybox", "true").status, 0);
});
after(() => {
  podman?.cleanup();
  roots?.cleanup();
});

test("commit, save, load: deletions and modes kept; the image runs; podman runs it the same", { skip }, () => {
  assert.equal(md("run", "--name", "src", "busybox", "sh", "-c", "rm /bin/vi; echo made > /made; chmod 4711 /made; mkdir -p /app && echo hi > /app/x").status, 0);
  const id = md("commit", "-c", 'CMD ["cat", "/app/x"]', "-c", "WORKDIR /app", "src", "local/made:1").stdout.trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  const check = "test -e /bin/vi && echo vi-present; stat -c '%a %s' /made; pwd";
  assert.equal(md("run", "--rm", "local/made:1", "sh", "-c", check).stdout, "4711 5\n/app\n");
  const archive = path.join(roots.root, "..", "made.tar");
  assert.equal(md("save", "-o", archive, "local/made:1").status, 0);
  const user = md("create", "local/made:1").stdout.trim();
  const inUse = md("rmi", "local/made:1");
  assert.notEqual(inUse.status, 0);
  assert.match(inUse.stderr, /image is being used by stopped container/);
  assert.equal(md("rm", "src", user).status, 0);
  assert.equal(md("rmi", "local/made:1").status, 0);
  assert.equal(md("run", "--rm", "local/made:1").status, 125);
  const loaded = md("load", "-i", archive);
  assert.match(loaded.stdout, /Loaded image: local\/made:1/);
  assert.equal(md("run", "--rm", "local/made:1").stdout, "hi\n");
  assert.equal(md("run", "--rm", "local/made:1", "sh", "-c", check).stdout, "4711 5\n/app\n");
  assert.match(md("images", "--format", "{{.Repository}}:{{.Tag}}").stdout, /^local\/made:1$/m);

  // podman names a docker-archive's "local/made:1" localhost/local/made:1.
  podman.run("load", "-i", archive);
  const inPodman = spawnSync(
    "podman",
    [...podman.args, "run", "--pull", "never", "--rm", "--runtime", "runc", "--network", "none", "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768", "localhost/local/made:1", "sh", "-c", check],
    { encoding: "utf8" },
  );
  assert.equal(inPodman.stdout, "4711 5\n/app\n", inPodman.stderr);
});

test("an archive podman saved loads into mydocker and runs", { skip }, () => {
  const archive = path.join(roots.root, "..", "from-podman.tar");
  podman.container("p1", "localhost/local/made:1", "echo from-podman > /pfile; rm /made");
  podman.run("commit", "p1", "localhost/frompodman:2");
  podman.run("save", "--format", "oci-archive", "-o", archive, "localhost/frompodman:2");
  assert.equal(md("load", "-q", "-i", archive).status, 0);
  assert.equal(md("run", "--rm", "localhost/frompodman:2", "sh", "-c", "cat /pfile; test -e /made || echo made-deleted").stdout, "from-podman\nmade-deleted\n");
  fs.rmSync(archive);
});

test("import of a rootfs tar, tag, history, rmi", { skip }, () => {
  const exported = path.join(roots.root, "..", "export.tar");
  const id = md("create", "busybox", "true").stdout.trim();
  assert.equal(md("export", "-o", exported, id).status, 0);
  assert.match(md("import", exported, "local/imported:1").stdout, /^sha256:/);
  assert.equal(md("tag", "local/imported:1", "local/imported:2").status, 0);
  assert.equal(md("run", "--rm", "local/imported:2", "/bin/echo", "ok").stdout, "ok\n");
  assert.match(md("history", "local/imported:2").stdout, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/m);
  assert.match(md("rmi", "local/imported:1").stdout, /^Untagged: local\/imported:1$/m);
  const bad = md("import", "/etc/hostname", "local/bad:1");
  assert.notEqual(bad.status, 0);
  assert.equal(md("images", "-q", "local/bad:1").stdout.includes("bad"), false);
  md("rm", id);
});
