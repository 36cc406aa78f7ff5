// What create refuses or makes before anything runs, as docker's daemon does at create:
// a bad capability leaves no container; a working directory reached through the image's
// own symlinks is made where they lead, inside the container.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cliSuite, isRoot, NOT_ROOT } from "../helpers/cli.js";

const skip = isRoot() ? false : NOT_ROOT;
const { md, ok } = cliSuite();

test("create and run refuse an unknown --cap-add or --cap-drop with 125 and leave no container", { skip }, () => {
  for (const flag of ["--cap-add", "--cap-drop"]) {
    for (const cmd of ["create", "run"]) {
      const r = md(cmd, flag, "BOGUS", "busybox", "true");
      assert.equal(r.status, 125, `${cmd} ${flag}: ${r.stderr}`);
      assert.equal(r.stdout, "", `${cmd} ${flag} prints no container id`);
      assert.match(r.stderr, /invalid capability: BOGUS/);
    }
  }
  assert.equal(ok("ps", "-aq"), "", "no container was made");
  // Known names in any of docker's spellings, and ALL, are still taken.
  const id = ok("create", "--cap-add", "net_admin", "--cap-drop", "CAP_CHOWN", "--cap-drop", "all", "busybox", "true");
  ok("rm", id);
});
