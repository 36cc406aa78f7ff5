// The run's network off its path: a plain run on the default bridge takes a namespace that an
// earlier run's exit command had netavark set up; the run returns with its exit code and its
// monitor's exit command tears its network down; network prune releases the pool, and a
// later run puts it back in use. Real netavark and iptables; traffic only to the gateway.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { cliSuite, isRoot, mountsUnder, NOT_ROOT, waitFor } from "../helpers/cli.js";

const NETAVARK = "/usr/lib/podman/netavark";
const skip = !isRoot() ? NOT_ROOT : !fs.existsSync(NETAVARK) ? "netavark is not installed (apt-get install netavark aardvark-dns)" : false;
const suite = cliSuite();
const md = suite.md;

const list = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);
/** The ready entries of the pool, as addresses. */
const ready = () => list(path.join(suite.roots().runRoot, ".net-pool")).filter((n) => /^\d+-\d+-\d+-\d+$/.test(n)).map((n) => n.replaceAll("-", "."));
const runs = () => list(path.join(suite.roots().runRoot, ".net"));

function bridgeOf(): { name: string; subnet: string; gateway: string } {
  const n = JSON.parse(md("network", "inspect", "bridge").stdout)[0];
  return { name: n.Options["com.docker.network.bridge.name"], subnet: n.IPAM.Config[0].Subnet, gateway: n.IPAM.Config[0].Gateway };
}

test("a plain run takes a namespace the pool made ready; its network works and is released after it returns", { skip }, async () => {
  await waitFor(() => ready().length === 2, { what: "the suite's first run's exit command to fill the pool" });
  const offered = ready();
  const { gateway } = bridgeOf();
  const r = md("run", "--rm", "busybox", "sh", "-c", `ip -4 -o addr show eth0; ip route; ip link show lo; ping -c 1 -W 2 ${gateway} >/dev/null && echo gateway answers`);
  assert.equal(r.status, 0, r.stderr);
  const ip = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(r.stdout)?.[1];
  assert.ok(ip && offered.includes(ip), `the run's address ${ip} is one the pool had ready (${offered.join(", ")})`);
  assert.match(r.stdout, new RegExp(`default via ${gateway.replaceAll(".", "\\.")} dev eth0`));
  assert.match(r.stdout, /lo: <LOOPBACK,UP,LOWER_UP>/);
  assert.match(r.stdout, /gateway answers/);
  // Its exit command releases the run and fills the pool again, after `run` returned.
  await waitFor(() => runs().length === 0 && ready().length === 2, { what: "the exit command to release the run and refill the pool" });
});

test("a run that publishes a port or is started again does not take from the pool, and keeps its address", { skip }, async () => {
  await waitFor(() => ready().length === 2, { what: "the pool to be full" });
  const offered = ready();
  const id = md("run", "-d", "-p", "127.0.0.1::80", "busybox", "sleep", "60").stdout.trim();
  const first = JSON.parse(md("inspect", id).stdout)[0].NetworkSettings.IPAddress as string;
  assert.ok(!offered.includes(first), "-p is set up by netavark for the run itself");
  assert.deepEqual(ready().sort(), offered.sort());
  assert.equal(md("rm", "-f", id).status, 0);

  const again = md("run", "-d", "--name", "pool-again", "busybox", "sleep", "60");
  assert.equal(again.status, 0, again.stderr);
  const address = () => JSON.parse(md("inspect", "pool-again").stdout)[0].NetworkSettings.Networks.bridge.IPAddress as string;
  const before = address();
  assert.ok(offered.includes(before), "a first start takes from the pool");
  assert.equal(md("stop", "-t", "0", "pool-again").status, 0);
  assert.equal(md("start", "pool-again").status, 0);
  assert.equal(address(), before, "a start again keeps its address");
  assert.equal(md("rm", "-f", "pool-again").status, 0);
});

test("network prune releases the pool: no namespace, veth or rule is left; the next run uses the pool again", { skip }, async () => {
  await waitFor(() => ready().length === 2, { what: "the pool to be full" });
  const { name, subnet } = bridgeOf();
  assert.ok(fs.existsSync(`/sys/class/net/${name}`));
  const r = md("network", "prune", "-f");
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(mountsUnder(suite.roots().runRoot), [], "no namespace stays mounted");
  assert.ok(!fs.existsSync(`/sys/class/net/${name}`), "the bridge goes with the pool's last veth");
  const prefix = subnet.split("/")[0]!.replace(/\.0$/, ".");
  assert.deepEqual(execFileSync("iptables-save", { encoding: "utf8" }).split("\n").filter((l) => l.includes(prefix)), []);
  assert.equal(md("run", "--rm", "busybox", "true").status, 0);
  await waitFor(() => ready().length === 2, { what: "a run after the prune to put the pool back in use" });
});
