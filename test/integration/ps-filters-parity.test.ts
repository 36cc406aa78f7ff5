// ps's filters as moby's daemon/list.go applies them, through mydocker ps and through the
// docker CLI against serve: name= is a regular expression (clients ask for ^/NAME$), and a
// filter lists stopped containers only when it is status= (or with -a, or a limit).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mydocker } from "../helpers/cli.js";
import { docker, servedSuite } from "../helpers/serve.js";

const { skip, served } = servedSuite();
const lines = (s: string) => s.split("\n").filter(Boolean).sort();

test("ps --filter: name= as a regular expression, stopped containers only with status=, -a or -n", { skip }, () => {
  const s = served();
  const md = (...args: string[]) => {
    const r = mydocker(s.roots, args);
    assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  md("run", "-d", "--name", "pf-up", "busybox", "sleep", "300");
  md("run", "-d", "--name", "pf-up2", "busybox", "sleep", "300");
  md("create", "--name", "pf-made", "busybox", "true");
  try {
    for (const [who, ps] of [
      ["mydocker", (...a: string[]) => md("ps", "--format", "{{.Names}}", ...a)],
      ["docker", (...a: string[]) => docker(s, ["ps", "--format", "{{.Names}}", ...a]).stdout],
    ] as const) {
      assert.deepEqual(lines(ps("--filter", "name=^/pf-up$")), ["pf-up"], `${who}: an anchored name with its /`);
      assert.deepEqual(lines(ps("--filter", "name=^pf-up$")), ["pf-up"], `${who}: and without`);
      assert.deepEqual(lines(ps("--filter", "name=pf-")), ["pf-up", "pf-up2"], `${who}: a filter other than status= lists running containers only`);
      assert.deepEqual(lines(ps("-a", "--filter", "name=pf-up2|pf-made")), ["pf-made", "pf-up2"], `${who}: -a lists every state`);
      assert.deepEqual(lines(ps("--filter", "status=created")), ["pf-made"], `${who}: status= finds stopped ones without -a`);
      assert.deepEqual(lines(ps("-n", "3", "--filter", "name=pf-")), ["pf-made", "pf-up", "pf-up2"], `${who}: so does a limit`);
      assert.deepEqual(lines(ps("--filter", "name=[")), [], `${who}: a pattern that does not compile matches nothing`);
    }
  } finally {
    md("rm", "-f", "pf-up", "pf-up2", "pf-made");
  }
});
