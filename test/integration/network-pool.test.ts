// The run's network off its path: a plain run on the default bridge takes a namespace that an
// earlier run's exit command had netavark set up; the run returns with its exit code and its
// monitor's exit command tears its network down, or, after a --rm run that could not change
// it, gives it back to the pool for the next run; network prune releases the pool, and a
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

test("a --rm run hands its namespace on to a later run, as it left it; one that could change it never does", { skip }, async () => {
  const settled = () => waitFor(() => runs().length === 0 && ready().length === 2, { what: "the pool to be full again after the run" });
  await settled();
  const { gateway } = bridgeOf();
  // Each run: its namespace, the packets its eth0 had sent when it began, and 10 more.
  const script = `readlink /proc/self/ns/net; cat /sys/class/net/eth0/statistics/tx_packets; ping -q -c 10 -i 0.05 -W 1 ${gateway} >/dev/null`;
  const seen: { ns: string; sent: number }[] = [];
  // Two entries: of three runs, two get the same one.
  for (let i = 0; i < 3; i++) {
    const r = md("run", "--rm", "busybox", "sh", "-c", script);
    assert.equal(r.status, 0, r.stderr);
    const [ns, sent] = r.stdout.trim().split("\n");
    seen.push({ ns: ns!, sent: Number(sent) });
    await settled();
  }
  const handedOn = seen.some((a, i) => seen.slice(i + 1).some((b) => b.ns === a.ns && b.sent >= a.sent + 10));
  assert.ok(handedOn, `a later run got an earlier run's namespace, its counters included: ${JSON.stringify(seen)}`);

  // A container with CAP_NET_ADMIN changes its namespace: no later run sees the change.
  const changer = md("run", "--rm", "--cap-add", "NET_ADMIN", "busybox", "ip", "addr", "add", "10.123.45.67/32", "dev", "lo");
  assert.equal(changer.status, 0, changer.stderr);
  await settled();
  for (let i = 0; i < 3; i++) {
    const r = md("run", "--rm", "busybox", "ip", "-4", "-o", "addr");
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /10\.123\.45\.67/);
    await settled();
  }
});

test("a run that publishes a port takes from the pool too; one started again does not, and keeps its address", { skip }, async () => {
  await waitFor(() => ready().length === 2, { what: "the pool to be full" });
  const offered = ready();
  const id = md("run", "-d", "-p", "127.0.0.1::80", "busybox", "sleep", "60").stdout.trim();
  const first = JSON.parse(md("inspect", id).stdout)[0].NetworkSettings.IPAddress as string;
  assert.ok(offered.includes(first), "its monitor publishes the port: the namespace is any run's");
  assert.match(md("port", id, "80").stdout, /^127\.0\.0\.1:\d+\n$/);
  assert.equal(md("rm", "-f", id).status, 0);
  await waitFor(() => ready().length === 2, { what: "the pool to be full again" });

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
