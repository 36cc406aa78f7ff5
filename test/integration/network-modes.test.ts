// --network modes end to end through the command line: what the container's own network
// namespace looks like from inside.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
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

test("/etc/hosts, resolv.conf and hostname are the run's own, from -h, --add-host, --dns*, and stay out of the container's layer", { skip }, () => {
  const r = md("run", "--name", "etc-files", "-h", "box", "--domainname", "example.test", "--add-host", "db:10.1.2.3", "--add-host", "gw:host-gateway",
    "--dns", "10.9.9.9", "--dns-search", "example.com", "--dns-option", "ndots:2", "busybox", "sh", "-c",
    "cat /etc/hostname; hostname; cat /etc/resolv.conf; grep -v ip6 /etc/hosts; ip -4 -o addr show eth0; ip route | grep default; touch /mark");
  assert.equal(r.status, 0, r.stderr);
  const [hostname, uname, ...rest] = r.stdout.split("\n");
  assert.equal(hostname, "box");
  assert.equal(uname, "box");
  const text = rest.join("\n");
  assert.match(text, /^search example\.com\nnameserver 10\.9\.9\.9\noptions ndots:2\n/);
  const ip = /eth0\s+inet (\d+\.\d+\.\d+\.\d+)\//.exec(text)?.[1];
  const gw = /default via (\d+\.\d+\.\d+\.\d+)/.exec(text)?.[1];
  assert.ok(ip && gw, text);
  assert.match(text, new RegExp(`^127\\.0\\.0\\.1\\tlocalhost\\n10\\.1\\.2\\.3\\tdb\\n${gw.replace(/\./g, "\\.")}\\tgw\\n${ip.replace(/\./g, "\\.")}\\tbox\\.example\\.test box$`, "m"));
  const diff = md("diff", "etc-files");
  assert.equal(diff.status, 0, diff.stderr);
  assert.match(diff.stdout, /^A \/mark$/m);
  assert.doesNotMatch(diff.stdout, /\/etc\/(hosts|resolv\.conf|hostname)/, "the files are mounted, not written into the layer");
  // docker cp of the stopped container reads the files it had, not the empty mount points.
  const cp = (f: string) => spawnSync("tar", ["-xO"], { input: md("cp", `etc-files:/etc/${f}`, "-").stdout, encoding: "utf8" }).stdout;
  assert.equal(cp("hostname"), "box\n");
  assert.match(cp("hosts"), /^10\.1\.2\.3\tdb$/m);
  assert.match(cp("resolv.conf"), /^nameserver 10\.9\.9\.9$/m);
  const bad = md("run", "--rm", "--add-host", "nocolon", "busybox", "true");
  assert.equal(bad.status, 125);
  assert.match(bad.stderr, /^mydocker: invalid argument "nocolon" for "--add-host" flag/);
  md("rm", "etc-files");
});

test("on the default bridge too, lo is up beside eth0", { skip }, () => {
  const r = md("run", "--rm", "busybox", "sh", "-c", "ip link show lo; ls /sys/class/net");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^1: lo: <LOOPBACK,UP,LOWER_UP>/);
  assert.deepEqual(r.stdout.split("\n").slice(2).filter(Boolean).sort(), ["eth0", "lo"]);
});
