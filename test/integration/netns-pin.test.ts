// The network namespace a run is given, made by a shim (runtime/netns-pin.ts): through the
// launcher (a daemon) and spawned (the command line) alike, a new namespace pinned on the
// file, and a failure is one clear error that pins nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { detectCgroupDriver } from "../../src/cgroups/index.js";
import { Runtime } from "../../src/runtime/index.js";
import { isPinned, removeNetns } from "../../src/network/netns.js";
import { isRoot, NOT_ROOT } from "../helpers/cli.js";

const skip = !isRoot() ? NOT_ROOT : false;

for (const launcher of [true, false]) {
  test(`a namespace pinned ${launcher ? "through the launcher" : "by a spawned shim"} is new, has only lo, and goes with removeNetns`, { skip }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-netns-pin-"));
    const rt = new Runtime({ runRoot: path.join(dir, "run"), cgroups: detectCgroupDriver(), launcher });
    const file = path.join(dir, "ns");
    try {
      fs.writeFileSync(file, "", { mode: 0o444 });
      await rt.pinNetns(file);
      assert.ok(isPinned(file), "the file is a mount point");
      assert.notEqual(fs.statSync(file).ino, fs.statSync("/proc/self/ns/net").ino, "not the host's namespace");
      const inside = execFileSync("nsenter", [`--net=${file}`, "ip", "-o", "link"], { encoding: "utf8" });
      assert.deepEqual(inside.trim().split("\n").map((l) => l.split(":")[1]!.trim()), ["lo"]);
      await removeNetns(file);
      assert.ok(!fs.existsSync(file));
    } finally {
      if (fs.existsSync(file) && isPinned(file)) execFileSync("umount", ["--lazy", file]);
      rt.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("pinning on a file that is not there fails with the step and its errno, and mounts nothing", { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-netns-pin-"));
  const rt = new Runtime({ runRoot: path.join(dir, "run"), cgroups: detectCgroupDriver(), launcher: true });
  try {
    await assert.rejects(rt.pinNetns(path.join(dir, "missing", "ns")), (e: Error) => /mounting \/proc\/self\/ns\/net/.test(e.message) && /no such file/i.test(e.message));
    assert.ok(!fs.readFileSync("/proc/self/mountinfo", "utf8").includes(dir), "nothing mounted under the test's directory");
  } finally {
    rt.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
