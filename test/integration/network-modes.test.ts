// --network modes end to end through the command line: what the container's own network
// namespace looks like from inside.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cliSuite, isRoot, NOT_ROOT } from "../helpers/cli.js";

const skip = isRoot() ? false : NOT_ROOT;
const { md } = cliSuite();

test("--network none: only lo, and it is up; a server on 127.0.0.1 answers inside", { skip }, () => {
  const r = md("run", "--rm", "--network", "none", "busybox", "sh", "-c",
    "ls /sys/class/net; ip link show lo; nc -l -p 7777 -e echo pong & sleep 0.2; for i in 1 2 3 4 5 6 7 8 9 10; do nc 127.0.0.1 7777 </dev/null && break; sleep 0.2; done");
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split("\n");
  assert.equal(lines[0], "lo", "lo is the only interface");
  assert.match(lines[1]!, /<LOOPBACK,UP,LOWER_UP>/, "lo is up");
  assert.match(r.stdout, /^pong$/m, "loopback traffic flows");
});
