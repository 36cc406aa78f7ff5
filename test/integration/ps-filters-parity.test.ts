// ps's filters as moby's daemon/list.go applies them, through mydocker ps and through the
// docker CLI against serve: name= is a regular expression (clients ask for ^/NAME$), and a
// filter lists stopped containers only when it is status= (or with -a, or a limit);
// publish= and expose= by a container's ports.
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

test("ps --filter publish= and expose=: a published host port or an exposed container port, single, ranged or by protocol", { skip }, () => {
  const s = served();
  const md = (...args: string[]) => {
    const r = mydocker(s.roots, args);
    assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
    return r.stdout.trim();
  };
  md("run", "-d", "--name", "pf-web", "--network", "bridge", "--expose", "90/udp", "-p", "127.0.0.1::80", "busybox", "sleep", "300");
  md("run", "-d", "--name", "pf-plain", "--network", "none", "busybox", "sleep", "300");
  try {
    const host = /:(\d+)$/.exec(md("port", "pf-web", "80"))![1]!;
    assert.equal(md("container", "port", "pf-web", "80"), md("port", "pf-web", "80"), "docker's container port too");
    for (const [who, ps] of [
      ["mydocker", (f: string) => mydocker(s.roots, ["ps", "--format", "{{.Names}}", "--filter", f])],
      ["docker", (f: string) => docker(s, ["ps", "--format", "{{.Names}}", "--filter", f])],
    ] as const) {
      for (const f of [`publish=${host}`, `publish=${host}/tcp`, `publish=${Number(host) - 1}-${Number(host) + 1}`, "expose=80", "expose=90/udp", "expose=1-100/tcp"]) {
        const r = ps(f);
        assert.equal(r.stdout, "pf-web\n", `${who} ${f}: ${r.stderr}`);
      }
      for (const f of ["publish=80", `publish=${host}/udp`, "expose=90", "expose=81"]) assert.equal(ps(f).stdout, "", `${who} ${f}`);
      const bad = ps("publish=127.0.0.1:80");
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /filter for 'publish' should not contain ':': 127\.0\.0\.1:80/);
    }
  } finally {
    md("rm", "-f", "pf-web", "pf-plain");
  }
});
