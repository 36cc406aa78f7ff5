// Copy-up into a volume that another container is using: that container can put a symlink
// to a host file where the copy is about to write. The copy must fail rather than write
// through it. A racing process swaps the symlink in and out while copies run, bounded in
// count and time; the host file it points at must never change.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { copyUpFromImage } from "../../src/engine/volumes/copyup.js";

const ITERATIONS = 60;
const DEADLINE_MS = 30_000;

test("copy-up never writes through a symlink a container puts in the volume meanwhile", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-copyup-race-"));
  const layer = path.join(dir, "layer");
  const vol = path.join(dir, "vol");
  const sentinel = path.join(dir, "host-file");
  fs.mkdirSync(path.join(layer, "data"), { recursive: true });
  // A big first file widens the window between the volume's emptiness check and "b".
  fs.writeFileSync(path.join(layer, "data", "a"), Buffer.alloc(8 << 20, 1));
  fs.writeFileSync(path.join(layer, "data", "b"), "from the image\n");
  fs.mkdirSync(vol);
  fs.writeFileSync(sentinel, "host contents\n");
  fs.chmodSync(sentinel, 0o600);

  const racer = spawn("sh", ["-c", 'while :; do ln -s "$1" "$2/b" 2>/dev/null; rm -f "$2/b"; done', "sh", sentinel, vol], { stdio: "ignore" });
  const racerGone = new Promise((resolve) => racer.once("exit", resolve));
  // The racer first: while it runs it puts files back into what is being removed.
  t.after(async () => {
    racer.kill("SIGKILL");
    await racerGone;
    // An ln the racer had started may still land once: removal retries past it.
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  });

  let copied = 0;
  let refused = 0;
  const end = Date.now() + DEADLINE_MS;
  for (let i = 0; i < ITERATIONS && Date.now() < end; i++) {
    for (const name of fs.readdirSync(vol)) fs.rmSync(path.join(vol, name), { force: true });
    try {
      if (copyUpFromImage(vol, [layer], "/data")) copied++;
    } catch (e) {
      assert.match((e as Error).message, /changed meanwhile/);
      refused++;
    }
    assert.equal(fs.readFileSync(sentinel, "utf8"), "host contents\n", `iteration ${i}: the host file was written`);
    assert.equal(fs.statSync(sentinel).mode & 0o7777, 0o600, `iteration ${i}: the host file's mode changed`);
    await new Promise((r) => setImmediate(r));
  }
  t.diagnostic(`${copied} copies, ${refused} refused because the racer's symlink was in the way`);
  assert.ok(copied + refused > 0);
});
