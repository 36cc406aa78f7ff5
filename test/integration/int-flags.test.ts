// Integer flags read as docker's (Go's ParseInt): a value that is no integer is refused
// before anything is done, never taken as NaN (stop -t abc waited for ever on a container
// that ignores SIGTERM); ps -n as docker's: any value lists every state, above 0 limits.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cliSuite, isRoot, NOT_ROOT } from "../helpers/cli.js";

const skip = isRoot() ? false : NOT_ROOT;
const { md, ok } = cliSuite();

test("stop -t, restart -t and ps -n refuse a value that is no integer with 125 and do nothing", { skip }, () => {
  const id = ok("run", "-d", "busybox", "sh", "-c", "trap '' TERM; while true; do sleep 0.1; done");
  try {
    for (const [cmd, flag] of [["stop", "-t"], ["restart", "-t"], ["stop", "--time"]]) {
      const r = md(cmd!, flag!, "abc", id);
      assert.deepEqual([r.status, r.stderr], [125, `mydocker: invalid argument "abc" for "-t, --time" flag: strconv.ParseInt: parsing "abc": invalid syntax\n`], `${cmd} ${flag}`);
    }
    assert.equal(ok("inspect", "-f", "{{.State.Running}} {{.RestartCount}}", id), "true 0", "the container was not touched");
    const ps = md("ps", "-n", "1x");
    assert.deepEqual([ps.status, ps.stderr], [125, `mydocker: invalid argument "1x" for "-n, --last" flag: strconv.ParseInt: parsing "1x": invalid syntax\n`]);
  } finally {
    ok("rm", "-f", id);
  }
});

test("ps -n: above 0 the last n of every state; 0 or below every container, stopped ones too", { skip }, () => {
  const first = ok("create", "busybox", "true").slice(0, 12);
  const second = ok("create", "busybox", "true").slice(0, 12);
  try {
    assert.equal(ok("ps", "-q", "-n", "1"), second);
    for (const n of ["0", "-2", "+5"]) assert.equal(ok("ps", "-q", "-n", n), `${second}\n${first}`, `-n ${n}`);
  } finally {
    ok("rm", first, second);
  }
});
