// A cgroup file read while its cgroup is removed (a container that just ended: its monitor's
// exit command removes the cgroup while another command reads it) reads as missing. The
// kernel answers ENODEV there, not ENOENT: a command failed with "read: no such device".
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { readOptional } from "../../src/cgroups/fs.js";
import { parseCgroupMounts } from "../../src/cgroups/index.js";
import { isRoot, NOT_ROOT } from "../helpers/cli.js";

test("a file of a cgroup removed under its reader reads as missing, as one already gone", { skip: isRoot() ? false : NOT_ROOT }, (t) => {
  const mounts = parseCgroupMounts(fs.readFileSync("/proc/self/mountinfo", "utf8"));
  const hierarchy = mounts.unified ?? Object.values(mounts.v1)[0];
  if (!hierarchy) return t.skip("no cgroup hierarchy is mounted");
  const dir = path.join(hierarchy, `mydocker-test-removed-${process.pid}`);
  fs.mkdirSync(dir);
  let fd: number;
  try {
    fd = fs.openSync(path.join(dir, "cgroup.procs"), "r");
  } finally {
    fs.rmdirSync(dir);
  }
  try {
    // Opened before the removal, reopened through /proc: the file of a cgroup that is gone.
    assert.equal(readOptional(`/proc/self/fd/${fd}`), undefined);
    assert.equal(readOptional(path.join(dir, "cgroup.procs")), undefined);
  } finally {
    fs.closeSync(fd);
  }
});
