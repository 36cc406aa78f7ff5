// `build - < Dockerfile`: what stdin gives is a tar of the context, or (as docker's CLI
// decides by looking at it) a Dockerfile alone, built with an empty context.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cliSuite, isRoot, mydocker, NOT_ROOT } from "../helpers/cli.js";

const skip = isRoot() ? false : NOT_ROOT;
const { ok, roots } = cliSuite();

test("build - takes a plain Dockerfile on stdin with an empty context; an empty stdin is refused in one line", { skip }, () => {
  const dockerfile = 'FROM busybox\nRUN echo made > /made\nCMD ["cat", "/made"]\n';
  const r = mydocker(roots(), ["build", "--network", "none", "-q", "-t", "local/stdin-df", "-"], { input: dockerfile });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
  assert.equal(ok("run", "--rm", "local/stdin-df"), "made");
  // Nothing to COPY from: the context is empty.
  const copy = mydocker(roots(), ["build", "-q", "-"], { input: "FROM busybox\nCOPY x /x\n" });
  assert.equal(copy.status, 1);
  assert.match(copy.stderr, /COPY failed: file not found in build context/);
  const empty = mydocker(roots(), ["build", "-q", "-"], { input: "" });
  assert.equal(empty.status, 1, empty.stderr);
  assert.equal(empty.stderr.trim().split("\n").length, 1, empty.stderr);
  assert.doesNotMatch(empty.stderr, /tar/);
});
