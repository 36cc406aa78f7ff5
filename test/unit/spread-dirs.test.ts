import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { makeSpreadDir } from "../../src/util/spread-dirs.js";

/** lsattr's flags of dir, undefined when it cannot tell (no lsattr, a file system without flags). */
function attrs(dir: string): string | undefined {
  const r = spawnSync("lsattr", ["-d", dir], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.split(" ")[0] : undefined;
}

describe("directories of containers' directories spread over ext4's block groups", () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "spread-dirs-"));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("makes the directory with its parents and marks it the top of a hierarchy (chattr +T)", (t) => {
    if (attrs(tmp) === undefined) return t.skip(`lsattr cannot read the flags of ${os.tmpdir()}'s file system`);
    const dir = path.join(tmp, "a", "containers");
    makeSpreadDir(dir, 0o700);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.match(attrs(dir)!, /T/);
    assert.doesNotMatch(attrs(path.join(tmp, "a"))!, /T/, "only the directory asked for");
  });

  it("makes a directory removed since again, marked again", (t) => {
    if (attrs(tmp) === undefined) return t.skip(`lsattr cannot read the flags of ${os.tmpdir()}'s file system`);
    const dir = path.join(tmp, "b");
    makeSpreadDir(dir, 0o755);
    fs.rmdirSync(dir);
    makeSpreadDir(dir, 0o755);
    assert.match(attrs(dir)!, /T/);
  });

  it("leaves a directory that was there already as it is", (t) => {
    if (attrs(tmp) === undefined) return t.skip(`lsattr cannot read the flags of ${os.tmpdir()}'s file system`);
    const dir = path.join(tmp, "theirs");
    fs.mkdirSync(dir);
    makeSpreadDir(dir, 0o700);
    assert.doesNotMatch(attrs(dir)!, /T/);
  });

  it("makes the directory all the same on a file system without the flag (tmpfs)", (t) => {
    if (!fs.existsSync("/dev/shm")) return t.skip("no /dev/shm (tmpfs) to try");
    const dir = fs.mkdtempSync("/dev/shm/spread-dirs-");
    try {
      makeSpreadDir(path.join(dir, "c"), 0o700);
      assert.ok(fs.statSync(path.join(dir, "c")).isDirectory());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
