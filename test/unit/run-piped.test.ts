import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { runPiped } from "../../src/util/run-piped.js";

describe("a program run without a fork of this process (runPiped)", () => {
  let tmp: string;
  let input: number;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "run-piped-"));
    fs.writeFileSync(path.join(tmp, "in"), "the description\n");
    input = fs.openSync(path.join(tmp, "in"), "r");
  });
  after(() => {
    fs.closeSync(input);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("gives its stdin the file, and hands back its stdout, stderr and exit status", async () => {
    const r = await runPiped(["sh", "-c", "cat; echo on-stderr >&2; exit 3"], input);
    assert.deepEqual(r, { code: 3, stdout: "the description\n", stderr: "on-stderr\n" });
  });

  it("says which signal ended it, and reads output larger than a pipe holds", async () => {
    const r = await runPiped(["sh", "-c", "head -c 300000 /dev/zero; kill -9 $$"], input);
    assert.equal(r.code, 128 + 9);
    assert.equal(r.stdout.length, 300000);
  });

  it("fails to start a program that is not there, and leaves no fd of its own open", async () => {
    const fds = () => fs.readdirSync("/proc/self/fd").length;
    const before = fds();
    await assert.rejects(runPiped(["/nonexistent/netavark", "setup"], input), (e: NodeJS.ErrnoException) => e.code === "ENOENT");
    assert.equal(fds(), before);
  });
});
