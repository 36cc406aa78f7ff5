// docker parity of run and its neighbours (issue 16's defects): single-file binds, the
// logs of a foreground run, `--flag=true|false`, options that must be refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { cliSuite, isRoot, NOT_ROOT } from "../helpers/cli.js";

const skip = isRoot() ? false : NOT_ROOT;
const suite = cliSuite();
const md = suite.md;

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-parity-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("-v FILE:/path binds the file itself (read-only with :ro); a missing source is still made as a directory", { skip }, (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, "app.conf");
  fs.writeFileSync(file, "setting=1\n");
  const r = md("run", "--rm", "-v", `${file}:/etc/app.conf:ro`, "busybox", "sh", "-c", "cat /etc/app.conf; echo x > /etc/app.conf 2>&1 || echo refused");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^setting=1\n/);
  assert.match(r.stdout, /refused|Read-only/);
  assert.equal(fs.readFileSync(file, "utf8"), "setting=1\n", "the host file is unchanged");
  const rw = md("run", "--rm", "-v", `${file}:/etc/app.conf`, "busybox", "sh", "-c", "echo changed > /etc/app.conf");
  assert.equal(rw.status, 0, rw.stderr);
  assert.equal(fs.readFileSync(file, "utf8"), "changed\n", "a writable file bind writes through");
  const missing = path.join(dir, "made", "here");
  const m = md("run", "--rm", "-v", `${missing}:/d`, "busybox", "test", "-d", "/d");
  assert.equal(m.status, 0, m.stderr);
  assert.ok(fs.statSync(missing).isDirectory(), "a missing source is made as a directory, as docker makes it");
});
