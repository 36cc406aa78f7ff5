// docker cp's rules for where things land, and the tar --transform that renames.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { planCopy, renameTransform } from "../../src/engine/containers/copy-plan.js";

const file = (given: string) => ({ given, kind: "file" as const });
const dir = (given: string) => ({ given, kind: "dir" as const });
const missing = (given: string) => ({ given, kind: "missing" as const });

test("a file goes into an existing directory under its own name, else becomes the destination", () => {
  assert.deepEqual(planCopy(file("/a/f"), "/a/f", dir("/d")), { from: "/a", member: "f", into: "/d" });
  assert.deepEqual(planCopy(file("/a/f"), "/a/f", missing("/d/g")), { from: "/a", member: "f", into: "/d", rename: "g" });
  assert.deepEqual(planCopy(file("/a/f"), "/a/f", file("/d/g")), { from: "/a", member: "f", into: "/d", rename: "g" });
  assert.throws(() => planCopy(file("/a/f"), "/a/f", missing("/d/new/")), /destination directory \/d\/new\/ must exist/);
  assert.throws(() => planCopy(file("/a/f/."), "/a/f", dir("/d")), /not a directory/);
});

test("a directory goes into an existing one, its contents with /., and becomes a missing destination", () => {
  assert.deepEqual(planCopy(dir("/a/s"), "/a/s", dir("/d")), { from: "/a", member: "s", into: "/d" });
  assert.deepEqual(planCopy(dir("/a/s/."), "/a/s/.", dir("/d")), { from: "/a/s", member: ".", into: "/d" });
  assert.deepEqual(planCopy(dir("/a/s"), "/a/s", missing("/d/n")), { from: "/a/s", member: ".", into: "/d", rename: "n" });
  assert.throws(() => planCopy(dir("/a/s"), "/a/s", file("/d/f")), /cannot copy a directory onto a file/);
  assert.throws(() => planCopy(missing("/x"), "/x", dir("/d")), /no such file or directory/);
});

test("-L: the link's target is archived under the link's name", () => {
  assert.deepEqual(planCopy(file("/a/link"), "/etc/real", dir("/d")), { from: "/etc", member: "real", into: "/d", rename: "link" });
});

test("renameTransform renames the member and what is under it, with any character in the names", () => {
  const src = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-transform-"));
  try {
    const odd = "we.ird[1]*&,|";
    fs.mkdirSync(path.join(src, odd, "sub"), { recursive: true });
    fs.writeFileSync(path.join(src, odd, "sub", "f"), "x");
    fs.symlinkSync(`${odd}/sub`, path.join(src, odd, "ln"));
    fs.writeFileSync(path.join(src, `${odd}x`), "not under the member");
    const list = spawnSync("tar", ["-c", "-f", "-", "-C", src, "--transform", renameTransform(odd, "n&\\ew"), odd, `${odd}x`]);
    const names = spawnSync("tar", ["-t", "-v", "--quoting-style=literal", "-f", "-"], { input: list.stdout, encoding: "utf8" }).stdout;
    assert.match(names, / n&\\ew\/sub\/f$/m);
    assert.match(names, / n&\\ew\/ln -> we\.ird\[1\]\*&,\|\/sub$/m, "a symlink's target is left alone");
    assert.match(names, / we\.ird\[1\]\*&,\|x$/m, "a name that only starts like the member is left alone");
  } finally {
    fs.rmSync(src, { recursive: true, force: true });
  }
});
