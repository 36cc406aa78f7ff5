// host and none are networks as docker lists them: there from the start, inspected, never
// removed; through mydocker's command line and through the real docker CLI against serve.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { isRoot, mydocker, NOT_ROOT, tempRoots, type Roots } from "../helpers/cli.js";
import { docker, servedSuite } from "../helpers/serve.js";

let roots: Roots | undefined;
before(() => {
  if (isRoot()) roots = tempRoots();
});
after(() => roots?.cleanup());
const md = (...args: string[]) => mydocker(roots!, args);
const served = servedSuite();

test("network ls lists bridge, host and none (drivers bridge, host, null; scope local), by name", { skip: isRoot() ? false : NOT_ROOT }, () => {
  assert.equal(md("network", "create", "mdk-pre-a").status, 0);
  const ls = md("network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}}");
  assert.equal(ls.stdout, "bridge bridge local\nhost host local\nmdk-pre-a bridge local\nnone null local\n", ls.stderr);
  assert.equal(md("network", "ls", "-f", "type=builtin", "--format", "{{.Name}}").stdout, "bridge\nhost\nnone\n");
  assert.equal(md("network", "ls", "-f", "driver=null", "--format", "{{.Name}}").stdout, "none\n");
  const ids = md("network", "ls", "-q", "--no-trunc", "-f", "type=builtin").stdout;
  assert.equal(md("network", "ls", "-q", "--no-trunc", "-f", "type=builtin").stdout, ids, "the same ids at every look");
  assert.equal(md("network", "rm", "mdk-pre-a").status, 0);
});

test("network inspect host|none answers; rm refuses them, by name or id", { skip: isRoot() ? false : NOT_ROOT }, () => {
  const [host, none] = JSON.parse(md("network", "inspect", "host", "none").stdout) as { Name: string; Id: string; Driver: string; Scope: string; IPAM: { Config: unknown } }[];
  assert.deepEqual([host!.Name, host!.Driver, host!.Scope, none!.Name, none!.Driver], ["host", "host", "local", "none", "null"]);
  assert.match(host!.Id, /^[0-9a-f]{64}$/);
  assert.equal(md("network", "inspect", "-f", "{{.Name}}", host!.Id.slice(0, 12)).stdout, "host\n");
  for (const [query, name] of [["host", "host"], ["none", "none"], [host!.Id.slice(0, 12), "host"]]) {
    const r = md("network", "rm", query!);
    assert.deepEqual([r.status, r.stderr], [1, `mydocker: ${name} is a pre-defined network and cannot be removed\n`], query);
  }
  assert.equal(md("network", "prune", "-f").status, 0);
  assert.equal(md("network", "ls", "-f", "type=builtin", "--format", "{{.Name}}").stdout, "bridge\nhost\nnone\n", "prune leaves them");
});

test("the docker CLI against serve sees host and none the same way", { skip: served.skip }, () => {
  const d = (...args: string[]) => docker(served.served(), args);
  assert.equal(d("network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}}").stdout, "bridge bridge local\nhost host local\nnone null local\n");
  assert.equal(d("network", "inspect", "-f", "{{.Name}} {{.Driver}}", "host", "none").stdout, "host host\nnone null\n");
  const rm = d("network", "rm", "host");
  assert.equal(rm.status, 1);
  assert.match(rm.stderr, /host is a pre-defined network and cannot be removed/);
});
