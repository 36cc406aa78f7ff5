// Each container (and each exec) has a session keyring of its own: a key one container
// adds is not found by another, nor by the host. The containers run with
// seccomp=unconfined, since the default filter refuses keyctl outright: these tests are
// about the keyring. busybox has no keyctl: a tiny static program built here does it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { cliSuite, isRoot, NOT_ROOT } from "../helpers/cli.js";
import { waitForValue } from "../helpers/wait.js";

const PROGRAM = String.raw`
#include <linux/keyctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* id: the session keyring's serial; add DESC: a user key in it; find DESC: search it. */
int main(int argc, char **argv) {
  long r = -1;
  if (argc == 2 && strcmp(argv[1], "id") == 0)
    r = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
  else if (argc == 3 && strcmp(argv[1], "add") == 0)
    r = syscall(SYS_add_key, "user", argv[2], "secret", 6, KEY_SPEC_SESSION_KEYRING);
  else if (argc == 3 && strcmp(argv[1], "find") == 0)
    r = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, "user", argv[2], 0);
  if (r < 0) {
    perror(argv[1]);
    return 2;
  }
  printf("%ld\n", r);
  return 0;
}
`;

const { md } = cliSuite();
let dir: string;
let helper: string;
let skip: string | false = isRoot() ? false : NOT_ROOT;

before(() => {
  if (skip) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-keyring-"));
  helper = path.join(dir, "keyring");
  fs.writeFileSync(`${helper}.c`, PROGRAM);
  const cc = spawnSync("cc", ["-static", "-O2", "-o", helper, `${helper}.c`], { encoding: "utf8" });
  if (cc.status !== 0) skip = `cannot build a static test program with cc: ${cc.error?.message ?? cc.stderr}`;
});
after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

function onHost(...args: string[]) {
  return spawnSync(helper, args, { encoding: "utf8" });
}

/** run's options and image for a container with the program at /k/keyring, no filter. */
const unconfined = () => ["-v", `${dir}:/k:ro`, "--security-opt", "seccomp=unconfined", "busybox"];

test("a key one container adds is seen neither by another container nor by the host", { skip: skip || undefined }, async (t) => {
  if (skip) return t.skip(skip);
  const desc = `mydocker-test-${process.pid}-${Date.now()}`;
  const hostRing = onHost("id").stdout.trim();
  const a = md("run", "-d", ...unconfined(), "sh", "-c", `/k/keyring add ${desc} && /k/keyring id && sleep 60`);
  assert.equal(a.status, 0, a.stderr);
  const id = a.stdout.trim();
  try {
    const [key, ringA] = await waitForValue(
      () => {
        const lines = md("logs", id).stdout.trim().split("\n");
        return lines.length === 2 ? lines : undefined;
      },
      { what: "the first container's key and keyring" },
    );
    assert.match(key, /^\d+$/);
    assert.notEqual(ringA, hostRing, "the container has the host's session keyring");

    const b = md("run", "--rm", ...unconfined(), "/k/keyring", "find", desc);
    assert.equal(b.status, 2, `another container found the key: ${b.stdout}`);
    const ringB = md("run", "--rm", ...unconfined(), "/k/keyring", "id").stdout.trim();
    assert.match(ringB, /^\d+$/);
    assert.notEqual(ringB, ringA);
    assert.notEqual(ringB, hostRing);
    assert.equal(onHost("find", desc).status, 2, "the host's session keyring has the container's key");

    // An exec gets a keyring of its own too (runc's default).
    const exec = md("exec", id, "/k/keyring", "id");
    assert.equal(exec.status, 0, exec.stderr);
    assert.notEqual(exec.stdout.trim(), ringA);
    assert.notEqual(exec.stdout.trim(), hostRing);
  } finally {
    md("rm", "-f", id);
  }
});

test("under the default filter keyctl and add_key are refused outright", { skip: skip || undefined }, (t) => {
  if (skip) return t.skip(skip);
  const r = md("run", "--rm", "-v", `${dir}:/k:ro`, "busybox", "/k/keyring", "add", "nope");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /Operation not permitted/);
});
