// Runs past the pool at once on the default bridge: netavark sets them up side by side (the
// host's netavark lock shared while the bridge is in use) and each still gets its own
// address, reaching the gateway; rm and network prune leave no namespace, veth or rule.
// Real netavark and iptables; traffic only to the gateway.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { cliSuite, isRoot, mountsUnder, mydockerAsync, NOT_ROOT, waitFor } from "../helpers/cli.js";

const NETAVARK = "/usr/lib/podman/netavark";
const skip = !isRoot() ? NOT_ROOT : !fs.existsSync(NETAVARK) ? "netavark is not installed (apt-get install netavark aardvark-dns)" : false;
const suite = cliSuite();
const { md, ok } = suite;

const ready = () => {
  const dir = path.join(suite.roots().runRoot, ".net-pool");
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => /^\d+-\d+-\d+-\d+$/.test(n)) : [];
};

test("eight runs at once, six past the pool: each has its own address and reaches the gateway; rm and prune leave nothing", { skip }, async () => {
  await waitFor(() => ready().length === 2, { what: "the suite's first run's exit command to fill the pool" });
  const bridge = JSON.parse(ok("network", "inspect", "bridge"))[0];
  const name: string = bridge.Options["com.docker.network.bridge.name"];
  const { Gateway: gateway, Subnet: subnet } = bridge.IPAM.Config[0];
  const results = await Promise.all(Array.from({ length: 8 }, () => mydockerAsync(suite.roots(), ["run", "-d", "busybox", "sleep", "120"]).done));
  for (const r of results) assert.equal(r.status, 0, r.stderr);
  const ids = results.map((r) => r.stdout.trim());
  const addresses = ids.map((id) => JSON.parse(ok("inspect", id))[0].NetworkSettings.IPAddress as string);
  assert.equal(new Set(addresses).size, 8, addresses.join(" "));
  for (const id of ids) assert.equal(md("exec", id, "ping", "-c", "1", "-W", "2", gateway).status, 0, `${id} reaches the gateway`);
  ok("rm", "-f", ...ids);
  ok("network", "prune", "-f");
  assert.deepEqual(mountsUnder(suite.roots().runRoot), [], "no namespace stays mounted");
  assert.ok(!fs.existsSync(`/sys/class/net/${name}`), "the bridge goes with its last veth");
  const prefix = subnet.split("/")[0]!.replace(/\.0$/, ".");
  assert.deepEqual(execFileSync("iptables-save", { encoding: "utf8" }).split("\n").filter((l) => l.includes(prefix)), []);
});
