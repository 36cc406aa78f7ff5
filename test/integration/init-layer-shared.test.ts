// The init layer (the empty mount points of /etc/hosts, /etc/resolv.conf, /etc/hostname) is
// one read-only lower layer all containers share: a create makes no files of its own for it,
// each run still gets its own /etc files bound over it, and a container made before (with an
// init layer of its own) keeps using its own.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { cliSuite, isRoot, NOT_ROOT } from "../helpers/cli.js";

const skip = isRoot() ? false : NOT_ROOT;
const { ok, roots } = cliSuite();

test("containers share one init layer; each run has its own /etc files", { skip }, () => {
  const a = ok("create", "--network", "none", "--hostname", "first", "busybox", "cat", "/etc/hostname");
  const b = ok("create", "--network", "none", "--hostname", "second", "busybox", "cat", "/etc/hostname");
  const shared = path.join(roots().root, "init-layer", "etc");
  for (const f of ["hosts", "resolv.conf", "hostname"]) assert.equal(fs.readFileSync(path.join(shared, f), "utf8"), "", `the shared ${f} is an empty mount point`);
  for (const id of [a, b]) assert.equal(fs.existsSync(path.join(roots().root, "containers", id, "init")), false, "no init layer of its own");
  assert.equal(ok("start", "-a", a), "first");
  assert.equal(ok("start", "-a", b), "second");
  assert.equal(fs.readFileSync(path.join(shared, "hostname"), "utf8"), "", "no run wrote into the shared layer");
  assert.doesNotMatch(ok("diff", a), /\/etc\/hostname/, "the bound file is no change of the container's");
  ok("rm", a, b);
  assert.equal(fs.existsSync(shared), true, "removing containers leaves the shared layer");
});

test("a container made with an init layer of its own keeps using it", { skip }, () => {
  const id = ok("create", "--network", "none", "busybox", "cat", "/etc/made-before");
  const own = path.join(roots().root, "containers", id, "init", "etc");
  fs.mkdirSync(own, { recursive: true });
  for (const f of ["hosts", "resolv.conf", "hostname"]) fs.writeFileSync(path.join(own, f), "");
  fs.writeFileSync(path.join(own, "made-before"), "its own\n");
  assert.equal(ok("start", "-a", id), "its own");
  ok("rm", id);
});
