// A launcher that never says `ready`, or takes a connection and never forks a shim: the
// caller gives up on a deadline with a clear error (and retires it), instead of waiting for
// ever. No root: the launcher here is a stand-in that listens and answers nothing.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Launcher } from "../../src/runtime/launcher.js";
import { Shim } from "../../src/runtime/shim.js";
import { MydockerError } from "../../src/util/errors.js";

const skip = spawnSync("python3", ["-c", "pass"]).status === 0 ? false : "needs python3 for the stand-in launcher";

/** `--serve NAME` as the shim does it (the zero-padded abstract name, `ready` on fd 3, exit at its EOF), minus the forking. */
const SILENT_LAUNCHER = `#!/usr/bin/env python3
import os, select, socket, sys
name = sys.argv[2].encode()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(b"\\0" + name + b"\\0" * (107 - len(name)))
s.listen(8)
os.write(3, b"ready\\n")
held = []
while True:
    ready, _, _ = select.select([3, s], [], [])
    if 3 in ready and not os.read(3, 64):
        break
    if s in ready:
        held.append(s.accept()[0])
`;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-launcher-deadline-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test("a launcher that never says `shim PID` is given up on at the deadline, and retired", { skip, timeout: 30_000 }, async () => {
  const fake = path.join(dir, "silent-launcher");
  fs.writeFileSync(fake, SILENT_LAUNCHER, { mode: 0o755 });
  const launcher = await Launcher.start(fake);
  assert.ok(launcher.alive);
  const started = Date.now();
  await assert.rejects(
    Shim.start({ shimPath: fake, stdio: "ignore", launcher, launchDeadlineMs: 300 }),
    (e) => e instanceof MydockerError && e.message === "the shim launcher did not start a shim within 0.3 s (it is replaced)",
  );
  const waited = Date.now() - started;
  assert.ok(waited >= 250 && waited < 10_000, `gave up after ${waited} ms`);
  assert.equal(launcher.alive, false, "the next caller starts a new launcher");
});

test("a launcher that never says ready is given up on at the deadline, and killed", { skip, timeout: 30_000 }, async () => {
  const mute = path.join(dir, "mute-launcher");
  fs.writeFileSync(mute, SILENT_LAUNCHER.replace('os.write(3, b"ready\\n")', "pass"), { mode: 0o755 });
  assert.ok(!fs.readFileSync(mute, "utf8").includes("os.write(3"), "the stand-in says nothing");
  const started = Date.now();
  await assert.rejects(Launcher.start(mute, 300), (e) => e instanceof MydockerError && e.message === "the shim launcher did not start: it was not ready within 0.3 s");
  const waited = Date.now() - started;
  assert.ok(waited >= 250 && waited < 10_000, `gave up after ${waited} ms`);
});
