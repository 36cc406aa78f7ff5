// User networks end to end: network commands, names through aardvark-dns, connect and
// disconnect of a running container, --ip/--mac-address, the address kept across restarts,
// and nothing left on the host afterwards. Traffic only between the test's own containers.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { cliSuite, isRoot, mountsUnder, NOT_ROOT, waitFor } from "../helpers/cli.js";

const skip = !isRoot() ? NOT_ROOT : !fs.existsSync("/usr/lib/podman/netavark") ? "netavark is not installed (apt-get install netavark aardvark-dns)" : false;
const suite = cliSuite();
const { md, ok } = suite;

const inspect = (what: string) => JSON.parse(ok("inspect", what))[0];

/** aardvark-dns processes serving this suite's roots. */
function aardvarks(): string[] {
  const r = spawnSync("pgrep", ["-f", `${suite.roots().runRoot}/.netavark/aardvark-dns`], { encoding: "utf8" });
  return r.stdout.split("\n").filter(Boolean);
}

/** After the test, passed or not: its containers and networks gone, so that a failure is not also the next test's. */
function leaveNothing(t: TestContext, ...networks: string[]): void {
  t.after(() => {
    const ids = ok("ps", "-aq").split("\n").filter(Boolean);
    if (ids.length) md("rm", "-f", ...ids);
    md("network", "rm", ...networks);
  });
}

test("containers on a user network find each other by name, alias and short id; /etc files say so", { skip }, (t) => {
  leaveNothing(t, "mdk-t-names");
  const netId = ok("network", "create", "--label", "t=user", "mdk-t-names");
  assert.match(netId, /^[0-9a-f]{64}$/);
  assert.match(ok("network", "ls", "--filter", "label=t=user", "--format", "{{.Name}}"), /^mdk-t-names$/);
  const net = inspect(netId);
  const gateway = net.IPAM.Config[0].Gateway as string;
  const srv = ok("run", "-d", "--name", "srv", "--network", "mdk-t-names", "--network-alias", "web", "busybox", "sleep", "120");
  const ip = inspect("srv").NetworkSettings.Networks["mdk-t-names"].IPAddress as string;
  const r = md("run", "--rm", "--network", "mdk-t-names", "busybox", "sh", "-c",
    `cat /etc/resolv.conf; for n in srv web ${srv.slice(0, 12)}; do nslookup $n | sed -n '/^Name:/,$p'; done`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^nameserver ${gateway.replace(/\./g, "\\.")}$`, "m"), "aardvark-dns is the name server");
  // Each name answered once: the container's name is not also one of its aliases.
  assert.equal(r.stdout.split("\n").filter((l) => l === `Address: ${ip}`).length, 3, r.stdout);
  assert.match(ok("network", "inspect", "mdk-t-names", "--format", "{{json .Containers}}"), new RegExp(`"${srv}":\\{"Name":"srv"`));
  const hosts = ok("exec", "srv", "cat", "/etc/hosts");
  assert.match(hosts, new RegExp(`^${ip.replace(/\./g, "\\.")}\\t${srv.slice(0, 12)}$`, "m"));

  const rm = md("network", "rm", "mdk-t-names");
  assert.equal(rm.status, 1);
  assert.match(rm.stderr, /has active endpoints/);
  ok("rm", "-f", "srv");
  assert.deepEqual(aardvarks(), [], "aardvark-dns ends with the last container it served");
  assert.equal(ok("network", "rm", "mdk-t-names"), "mdk-t-names");
  assert.equal(md("network", "inspect", "mdk-t-names").status, 1);
});

test("connect and disconnect a running container; --ip and --mac-address; a restart keeps the address", { skip }, async (t) => {
  leaveNothing(t, "mdk-t-a", "mdk-t-b");
  ok("network", "create", "--subnet", "10.231.77.0/24", "--ip-range", "10.231.77.128/25", "mdk-t-a");
  ok("network", "create", "mdk-t-b");
  const overlap = md("network", "create", "--subnet", "10.231.0.0/16", "mdk-t-c");
  assert.equal(overlap.status, 1);
  assert.match(overlap.stderr, /Pool overlaps/);
  const c = ok("run", "-d", "--name", "multi", "--network", "mdk-t-a", "--ip", "10.231.77.200", "--mac-address", "02:42:0a:e7:4d:c8", "--restart", "always", "busybox", "sleep", "120");
  let ns = inspect(c).NetworkSettings;
  assert.equal(ns.Networks["mdk-t-a"].IPAddress, "10.231.77.200");
  assert.equal(ns.Networks["mdk-t-a"].MacAddress, "02:42:0a:e7:4d:c8");
  const auto = ok("run", "-d", "--network", "mdk-t-a", "busybox", "sleep", "120");
  assert.match(inspect(auto).NetworkSettings.IPAddress, /^10\.231\.77\.(12[89]|1[3-9]\d|2[0-4]\d|25[0-4])$/, "from the --ip-range");
  const taken = md("run", "--rm", "--network", "mdk-t-a", "--ip", "10.231.77.200", "busybox", "true");
  assert.equal(taken.status, 125);
  assert.match(taken.stderr, /10\.231\.77\.200 is taken/);

  ok("network", "connect", "--alias", "second", "mdk-t-b", "multi");
  const links = ok("exec", "multi", "ip", "-o", "-4", "addr");
  assert.match(links, /eth0 .*10\.231\.77\.200\//);
  const bIp = inspect(c).NetworkSettings.Networks["mdk-t-b"].IPAddress;
  assert.match(links, new RegExp(`eth1 .*${bIp.replace(/\./g, "\\.")}/`));
  const peer = md("run", "--rm", "--network", "mdk-t-b", "busybox", "nslookup", "second");
  assert.match(peer.stdout, new RegExp(`Address: ${bIp.replace(/\./g, "\\.")}`));
  ok("network", "disconnect", "mdk-t-b", "multi");
  assert.doesNotMatch(ok("exec", "multi", "ip", "-o", "-4", "addr"), /eth1/);
  assert.equal(inspect(c).NetworkSettings.Networks["mdk-t-b"], undefined);

  // The monitor runs it again (--restart always): same namespace, same address.
  const pid = inspect(c).State.Pid as number;
  process.kill(pid, "SIGKILL");
  await waitFor(() => {
    const s = inspect(c).State;
    return s.Running && s.Pid !== pid;
  }, { what: "the restart" });
  ns = inspect(c).NetworkSettings;
  assert.equal(ns.Networks["mdk-t-a"].IPAddress, "10.231.77.200");
  assert.match(ok("exec", "multi", "ip", "-o", "-4", "addr"), /eth0 .*10\.231\.77\.200\//);
  // Stopped and started again: the address is the container's for its life.
  ok("stop", "-t", "1", c);
  ok("start", c);
  assert.equal(inspect(c).NetworkSettings.Networks["mdk-t-a"].IPAddress, "10.231.77.200");
  ok("rm", "-f", c, auto);
  assert.deepEqual(ok("network", "prune", "-f").split("\n").slice(1).sort(), ["mdk-t-a", "mdk-t-b"]);
});

test("nothing is left after rm -f and after kill -9 of the monitor: no veth, rule, namespace mount, aardvark", { skip }, async () => {
  ok("network", "create", "--subnet", "10.231.78.0/24", "mdk-t-leak");
  const bridge = inspect("mdk-t-leak").Options["com.docker.network.bridge.name"];
  const ids = [
    ok("run", "-d", "--network", "mdk-t-leak", "-p", "127.0.0.1::80", "busybox", "sleep", "120"),
    ok("run", "-d", "--network", "mdk-t-leak", "busybox", "sleep", "120"),
  ];
  assert.ok(fs.existsSync(`/sys/class/net/${bridge}`));
  const port = Number(ok("port", ids[0]!, "80").split(":")[1]);
  // kill -9 of both monitors: the next command finds them ended and takes their network down;
  // the published port closed with its monitor.
  for (const id of ids) {
    const state = JSON.parse(fs.readFileSync(path.join(suite.roots().runRoot, id, "state.json"), "utf8")) as { shimPid: number };
    process.kill(state.shimPid, "SIGKILL");
    await waitFor(() => ok("ps", "-a", "--filter", `id=${id}`, "--format", "{{.State}}") === "exited", { what: "the container to be found ended" });
  }
  const refused = await new Promise<boolean>((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => (s.destroy(), resolve(false)));
    s.on("error", () => resolve(true));
  });
  assert.ok(refused, "no listener is left on the published port");
  ok("rm", "-f", ...ids);
  const rules = execFileSync("iptables-save", { encoding: "utf8" });
  assert.ok(!rules.includes("10.231.78."), "no firewall rule of the network's subnet");
  for (const id of ids) assert.ok(!rules.includes(id), "no rule names the containers");
  assert.ok(!fs.existsSync(`/sys/class/net/${bridge}`), "the bridge goes with its last container");
  // The default bridge's pool (made by the suite's first run) is not these containers'.
  assert.deepEqual(mountsUnder(suite.roots().runRoot).filter((m) => !m.includes("/.net-pool/")), []);
  assert.deepEqual(fs.readdirSync(path.join(suite.roots().runRoot, ".net")), []);
  assert.deepEqual(aardvarks(), []);
  ok("network", "rm", "mdk-t-leak");
});
