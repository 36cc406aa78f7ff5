// A container with a terminal: the shim's pty, seen through the container's log.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { defaultSpec, Runtime } from "../../src/runtime/index.js";
import { makeBusyboxRootfs } from "../helpers/busybox-rootfs.js";
import { runtimeSkip } from "../helpers/runtime.js";

const skip = runtimeSkip("namespaces and mounts");

let base: string;
let rt: Runtime;

before(() => {
  if (skip) return;
  base = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-runtime-tty-"));
  makeBusyboxRootfs(path.join(base, "rootfs"));
  rt = new Runtime({ runRoot: path.join(base, "run"), cgroups: null });
});

after(() => {
  if (skip) return;
  fs.rmSync(base, { recursive: true, force: true });
});

test("process.terminal gives the process a pty of the container's own devpts", { skip }, async () => {
  const spec = defaultSpec();
  spec.process!.terminal = true;
  spec.process!.args = ["sh", "-c", "tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-tty; ls /dev/pts"];
  const log = path.join(base, "tty.log");
  const h = await rt.run("mydocker-rt-tty", spec, { bundle: base, stdio: "ignore", logPath: log });
  assert.deepEqual(await h.wait(), { exitCode: 0, signal: 0 });
  const lines = fs
    .readFileSync(log, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split(" "));
  assert.ok(lines.every((l) => l[1] === "stdout"), "a pty has one stream");
  const text = lines.map((l) => l.slice(3).join(" ")).join("\n");
  assert.match(text, /^\/dev\/pts\/0\r?\nall-tty\r?\n0\s+ptmx\r?$/);
});
