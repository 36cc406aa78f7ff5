// The default bridge network and published ports, end to end: real netavark, real iptables,
// traffic only to the test's own containers and to loopback. Published ports are forwarded by
// each container's monitor (docker-proxy's way): netavark makes no rule for them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { cliSuite, isRoot, mountsUnder, NOT_ROOT, waitFor } from "../helpers/cli.js";
import { askUdp, connects, exchange } from "../helpers/sockets.js";

const NETAVARK = "/usr/lib/podman/netavark";
const skip = !isRoot() ? NOT_ROOT : !fs.existsSync(NETAVARK) ? "netavark is not installed (apt-get install netavark aardvark-dns)" : false;
const suite = cliSuite();
const md = suite.md;

/** A port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** The container's monitor (the parent of its process). */
function monitorOf(id: string): number {
  const pid = inspect(id).State.Pid as number;
  return Number(fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
}

function get(url: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d));
      res.on("end", () => resolve(body));
    });
    req.on("error", () => resolve(undefined));
    req.on("timeout", () => req.destroy());
  });
}

/** A directory served by httpd, removed after the test. */
function site(t: { after: (fn: () => void) => void }, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-www-"));
  fs.writeFileSync(path.join(dir, "index.html"), text);
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function inspect(id: string): any {
  const r = md("inspect", id);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout)[0];
}

/** What of the host still names this container or subnet: interfaces, firewall rules. */
function traces(id: string, subnet: string): string[] {
  const rules = execFileSync("iptables-save", { encoding: "utf8" }).split("\n");
  return rules.filter((l) => l.includes(id) || l.includes(subnet));
}

test("httpd behind -p 127.0.0.1:PORT:80 answers the host, and another container through the gateway", { skip }, async (t) => {
  const www = site(t, "hello from the bridge\n");
  const port = await freePort();
  const id = md("run", "-d", "-p", `127.0.0.1:${port}:80`, "-v", `${www}:/www:ro`, "busybox", "httpd", "-f", "-p", "80", "-h", "/www").stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  let body: string | undefined;
  await waitFor(async () => (body = await get(`http://127.0.0.1:${port}/`)) !== undefined, { what: "httpd through the published port" });
  assert.equal(body, "hello from the bridge\n");

  const ins = inspect(id);
  const ns = ins.NetworkSettings;
  assert.match(ns.IPAddress, /^\d+\.\d+\.\d+\.\d+$/);
  assert.equal(ns.Networks.bridge.IPAddress, ns.IPAddress);
  assert.equal(ns.Networks.bridge.Gateway, ns.Gateway);
  assert.match(ns.MacAddress, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  assert.deepEqual(ns.Ports["80/tcp"], [{ HostIp: "127.0.0.1", HostPort: String(port) }]);

  // Published on all addresses too: another container reaches it through the host's address on the bridge.
  const all = await freePort();
  const id2 = md("run", "-d", "-p", `${all}:80`, "-v", `${www}:/www:ro`, "busybox", "httpd", "-f", "-p", "80", "-h", "/www").stdout.trim();
  const client = md("run", "--rm", "busybox", "sh", "-c",
    // Until httpd answers: before it listens, the monitor takes the connection and closes it.
    `for i in $(seq 20); do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc ${ns.Gateway} ${all} | grep -q bridge && echo 'hello from the bridge' && exit 0; sleep 0.3; done; exit 1`);
  assert.equal(client.status, 0, client.stderr);
  assert.match(client.stdout, /hello from the bridge/);

  assert.equal(md("port", id).stdout, `80/tcp -> 127.0.0.1:${port}\n`);
  assert.equal(md("port", id2, "80").stdout, `0.0.0.0:${all}\n`);
  const ps = md("ps", "--format", "{{.ID}} {{.Ports}}").stdout;
  assert.match(ps, new RegExp(`^${id.slice(0, 12)} 127\\.0\\.0\\.1:${port}->80/tcp$`, "m"));

  const subnet = md("network", "inspect", "bridge", "--format", "{{json .IPAM.Config}}").stdout;
  const cidr = JSON.parse(subnet)[0].Subnet as string;
  const addresses = [inspect(id), inspect(id2)].map((c) => `${c.NetworkSettings.IPAddress}/`);
  assert.equal(md("rm", "-f", id, id2).status, 0);
  for (const a of addresses) assert.deepEqual(traces(a, `dport ${port} `), [], "no rule names the containers' addresses or ports");
  // The default bridge's pool (namespaces ready for the next runs) holds the bridge until network prune.
  assert.equal(md("network", "prune", "-f").status, 0);
  assert.deepEqual(traces(id, cidr.split("/")[0]!.replace(/\.0$/, ".")), [], "no rule names the containers or their subnet");
  const bridge = JSON.parse(md("network", "inspect", "bridge").stdout)[0].Options["com.docker.network.bridge.name"];
  assert.ok(!fs.existsSync(`/sys/class/net/${bridge}`), "the bridge goes with the last container on it");
  assert.deepEqual(mountsUnder(suite.roots().runRoot), [], "no network namespace stays mounted");
});

test("a published port that is taken: one clear line, exit 125, and nothing set up", { skip }, async () => {
  const port = await freePort();
  const holder = net.createServer().listen(port, "127.0.0.1");
  try {
    await new Promise((r) => holder.once("listening", r));
    const r = md("run", "--rm", "-p", `127.0.0.1:${port}:80`, "busybox", "true");
    assert.equal(r.status, 125);
    assert.equal(r.stderr, `mydocker: Bind for 127.0.0.1:${port} failed: port is already allocated: publish another host port or stop what holds it\n`);
  } finally {
    holder.close();
  }
  const first = md("run", "-d", "-p", `127.0.0.1:${port}:80`, "busybox", "sleep", "60").stdout.trim();
  const clash = md("run", "-d", "--name", "clash", "-p", `127.0.0.1:${port}:80`, "busybox", "sleep", "60");
  assert.equal(clash.status, 125);
  assert.match(clash.stderr, new RegExp(`^mydocker: Bind for 127\\.0\\.0\\.1:${port} failed: port is already allocated \\(by container ${first.slice(0, 12)}\\)`));
  assert.match(md("ps", "-a", "--filter", "name=clash", "--format", "{{.Status}}").stdout, /^Created\n$/, "the container stays created");
  const clashId = md("ps", "-aq", "--no-trunc", "--filter", "name=clash").stdout.trim();
  assert.ok(!fs.existsSync(path.join(suite.roots().runRoot, ".net", clashId)), "no network namespace of it");
  assert.ok(!fs.existsSync(path.join(suite.roots().runRoot, clashId)), "no runtime state (no monitor, no process) of it");
  assert.deepEqual(fs.readdirSync(path.join(suite.roots().runRoot, ".net-gone")), [], "no teardown left half done");
  md("rm", "-f", first, "clash");
  // The port's only holder was the first container's monitor: the failed start left no listener.
  await waitFor(async () => !(await connects(port)), { what: "the port to be free once its container is gone" });
});

test("-P publishes the image's and --expose'd ports on random ports; -p ranges", { skip }, async (t) => {
  const id = md("run", "-d", "-P", "--expose", "7000-7001", "--expose", "53/udp", "busybox", "sleep", "60").stdout.trim();
  const ports = inspect(id).NetworkSettings.Ports;
  assert.deepEqual(Object.keys(ports).sort(), ["53/udp", "7000/tcp", "7001/tcp"]);
  for (const list of Object.values(ports) as { HostIp: string; HostPort: string }[][]) {
    assert.equal(list.length, 1);
    assert.ok(Number(list[0]!.HostPort) > 1024, `a random host port: ${JSON.stringify(list)}`);
  }
  const r = md("run", "-d", "--expose", "9000", "-p", "127.0.0.1::8080", "busybox", "sleep", "60");
  const ports2 = inspect(r.stdout.trim()).NetworkSettings.Ports;
  assert.equal(ports2["9000/tcp"], null, "exposed but not published");
  assert.equal(ports2["8080/tcp"][0].HostIp, "127.0.0.1");
  assert.match(md("ps", "--format", "{{.Ports}}", "--filter", `id=${r.stdout.trim()}`).stdout, /^(9000\/tcp, 127\.0\.0\.1:\d+->8080\/tcp|127\.0\.0\.1:\d+->8080\/tcp, 9000\/tcp)\n$/);
  const range = md("run", "-d", "-p", "127.0.0.1::5000-5001/udp", "busybox", "sleep", "60").stdout.trim();
  const ranged = inspect(range).NetworkSettings.Ports;
  assert.deepEqual(Object.keys(ranged).sort(), ["5000/udp", "5001/udp"]);
  assert.equal(md("port", range, "5001/udp").stdout, `127.0.0.1:${ranged["5001/udp"][0].HostPort}\n`);
  // Traffic through each: a range of two httpds, and -P's random port.
  const www = site(t, "ranged\n");
  const base = await freePort();
  const two = md("run", "-d", "-p", `127.0.0.1:${base}-${base + 1}:80-81`, "-P", "--expose", "82", "-v", `${www}:/www:ro`, "busybox", "sh", "-c", "httpd -p 81 -h /www; httpd -p 82 -h /www; exec httpd -f -p 80 -h /www");
  assert.equal(two.status, 0, two.stderr);
  const random = Number(inspect(two.stdout.trim()).NetworkSettings.Ports["82/tcp"][0].HostPort);
  for (const p of [base, base + 1, random]) {
    let body: string | undefined;
    await waitFor(async () => (body = await get(`http://127.0.0.1:${p}/`)) !== undefined, { what: `httpd through published port ${p}` });
    assert.equal(body, "ranged\n");
  }
  md("rm", "-f", two.stdout.trim());
  const bad = md("run", "--rm", "-p", "70000:80", "busybox", "true");
  assert.equal(bad.status, 125);
  assert.match(bad.stderr, /^mydocker: invalid port specification "70000:80"/);
  md("rm", "-f", id, r.stdout.trim(), range);
});

test("--network host shares the host's interfaces; container:NAME shares another's namespace", { skip }, () => {
  // The namespace itself, not the host's list of interfaces, which other work on the machine changes.
  const host = md("run", "--rm", "--network", "host", "busybox", "readlink", "/proc/self/ns/net");
  assert.equal(host.stdout, `${fs.readlinkSync("/proc/self/ns/net")}\n`, host.stderr);
  const a = md("run", "-d", "--name", "ns-owner", "busybox", "sleep", "60").stdout.trim();
  const ip = inspect(a).NetworkSettings.IPAddress;
  const r = md("run", "--rm", "--network", "container:ns-owner", "busybox", "ip", "-4", "-o", "addr", "show", "eth0");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(` ${ip.replace(/\./g, "\\.")}/`));
  // As docker: -p on the host's network is ignored with a warning; on another's, refused.
  const hostP = md("run", "--rm", "--network", "host", "-p", "127.0.0.1:1:80", "busybox", "true");
  assert.deepEqual([hostP.status, hostP.stderr], [0, "WARNING: Published ports are discarded when using host network mode\n"]);
  const shared = md("run", "--rm", "--network", "container:ns-owner", "-p", "80", "busybox", "true");
  assert.deepEqual([shared.status, shared.stderr], [125, "mydocker: conflicting options: port publishing and the container type network mode (container:ns-owner)\n"]);
  // With no network, as docker: accepted without a word, nothing published.
  const none = md("run", "-d", "--network", "none", "-p", "127.0.0.1::80", "busybox", "sleep", "60");
  assert.deepEqual([none.status, none.stderr], [0, ""]);
  assert.deepEqual([md("port", none.stdout.trim()).stdout, inspect(none.stdout.trim()).NetworkSettings.Ports], ["", {}]);
  md("rm", "-f", a, none.stdout.trim());
});

test("where ports are not published: a 127.0.0.1 port through the gateway, an --internal network; the network ports go through cannot be disconnected while they do", { skip }, async (t) => {
  const www = site(t, "inside\n");
  const net1 = `md-internal-${process.pid}`;
  const net2 = `md-ports-${process.pid}`;
  const made: string[] = [];
  // The containers first, then the networks they were on.
  t.after(() => {
    if (made.length) md("rm", "-f", ...made);
    md("network", "rm", net1, net2);
  });
  const port = await freePort();
  const id = md("run", "-d", "-p", `127.0.0.1:${port}:80`, "-v", `${www}:/www:ro`, "busybox", "httpd", "-f", "-p", "80", "-h", "/www").stdout.trim();
  made.push(id);
  await waitFor(async () => (await get(`http://127.0.0.1:${port}/`)) === "inside\n", { what: "httpd through the published port" });
  // Published on the host's loopback only: another container, through the host's address on
  // the bridge, is refused (docker's DNAT matches 127.0.0.1 alone too).
  const gateway = inspect(id).NetworkSettings.Gateway;
  const other = md("run", "--rm", "busybox", "sh", "-c", `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc ${gateway} ${port}; echo "nc=$?"`);
  assert.equal(other.status, 0, other.stderr);
  assert.doesNotMatch(other.stdout, /inside/);
  assert.match(other.stdout, /nc=1\n$/);

  assert.equal(md("network", "create", "--internal", net1).status, 0);
  assert.equal(md("network", "create", net2).status, 0);
  // Only on --internal networks: nothing is published (nothing listens, port shows none).
  const closed = await freePort();
  const inner = md("run", "-d", "--network", net1, "-p", `127.0.0.1:${closed}:80`, "-v", `${www}:/www:ro`, "busybox", "httpd", "-f", "-p", "80", "-h", "/www");
  assert.equal(inner.status, 0, inner.stderr);
  made.push(inner.stdout.trim());
  assert.equal(md("port", inner.stdout.trim()).stdout, "");
  assert.equal(await connects(closed), false, "nothing listens on the port an internal network would publish");

  // On an internal and a routed network: the ports go to the routed one's address, which
  // cannot be disconnected while they do; the internal one can.
  const both = await freePort();
  const two = md("run", "-d", "--network", net1, "--network", net2, "-p", `127.0.0.1:${both}:80`, "-v", `${www}:/www:ro`, "busybox", "httpd", "-f", "-p", "80", "-h", "/www");
  assert.equal(two.status, 0, two.stderr);
  const twoId = two.stdout.trim();
  made.push(twoId);
  await waitFor(async () => (await get(`http://127.0.0.1:${both}/`)) === "inside\n", { what: "httpd through the port on the routed network" });
  const refused = md("network", "disconnect", net2, twoId);
  assert.deepEqual([refused.status, refused.stderr], [1, `mydocker: container ${inspect(twoId).Name.slice(1)} publishes ports through network ${net2}: stop the container before disconnecting it from ${net2}\n`]);
  assert.equal(await get(`http://127.0.0.1:${both}/`), "inside\n", "still served");
  assert.equal(md("network", "disconnect", net1, twoId).status, 0);
  assert.equal(md("stop", "-t", "1", twoId).status, 0);
  assert.equal(md("network", "disconnect", net2, twoId).status, 0, "stopped, its ports are closed: it may go");
});

test("udp through a published port: each client's datagrams reach the container, its replies come back", { skip }, async (t) => {
  const port = await freePort();
  const id = md("run", "-d", "-p", `127.0.0.1:${port}:5353/udp`, "busybox", "sleep", "60").stdout.trim();
  t.after(() => md("rm", "-f", id));
  // busybox has no udp server: an echo of the test's own, in the container's network namespace.
  const echo = spawn("nsenter", ["-t", String(inspect(id).State.Pid), "-n", process.execPath, "-e",
    "const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send(Buffer.concat([Buffer.from('echo '),m]),r.port,r.address));s.bind(5353)"], { stdio: "ignore" });
  t.after(() => echo.kill("SIGKILL"));
  const ask = (text: string) => askUdp(port, text);
  await waitFor(async () => (await ask("ping")) === "echo ping", { what: "a udp echo through the published port" });
  assert.deepEqual(await Promise.all(["a", "b"].map(ask)), ["echo a", "echo b"]);
});

test("tcp through a published port: megabytes both ways, the client's half-close reaches the container, which answers after it", { skip }, async () => {
  const port = await freePort();
  // The container reads to the client's EOF, then sends a checksum and everything back.
  const id = md("run", "-d", "-p", `127.0.0.1:${port}:80`, "busybox", "nc", "-ll", "-p", "80", "-e", "sh", "-c", "cat > /tmp/got; md5sum < /tmp/got; cat /tmp/got").stdout.trim();
  const data = crypto.randomBytes(3 << 20);
  let reply: Buffer = Buffer.alloc(0);
  await waitFor(async () => (reply = await exchange(port, data).catch(() => Buffer.alloc(0))).length > 0, { what: "the container to answer through the published port" });
  const md5 = crypto.createHash("md5").update(data).digest("hex");
  assert.equal(reply.subarray(0, 36).toString(), `${md5}  -\n`);
  assert.ok(reply.subarray(36).equals(data), `the ${data.length} bytes back, not ${reply.length - 36}`);
  md("rm", "-f", id);
});

test("a restart keeps the published port and the address; a killed monitor's port is closed", { skip }, async (t) => {
  const www = site(t, "again\n");
  const port = await freePort();
  const id = md("run", "-d", "--restart", "always", "-p", `127.0.0.1:${port}:80`, "-v", `${www}:/www:ro`, "busybox", "httpd", "-f", "-p", "80", "-h", "/www").stdout.trim();
  await waitFor(async () => (await get(`http://127.0.0.1:${port}/`)) === "again\n", { what: "httpd through the published port" });
  const before = inspect(id);
  const monitor = monitorOf(id);
  process.kill(before.State.Pid, "SIGKILL");
  await waitFor(() => inspect(id).RestartCount === 1 && inspect(id).State.Running === true, { what: "the monitor to restart the container" });
  await waitFor(async () => (await get(`http://127.0.0.1:${port}/`)) === "again\n", { what: "httpd through the same port after the restart" });
  assert.equal(inspect(id).NetworkSettings.IPAddress, before.NetworkSettings.IPAddress, "the address is kept");
  assert.equal(monitorOf(id), monitor, "the same monitor, whose listener stayed");

  process.kill(monitor, "SIGKILL");
  await waitFor(async () => !(await connects(port)), { what: "the port to close with its monitor" });
  md("rm", "-f", id);
  const ip = `${before.NetworkSettings.IPAddress}`;
  assert.deepEqual(execFileSync("iptables-save", { encoding: "utf8" }).split("\n").filter((l) => l.includes(id) || l.includes(`${ip}/`) || l.includes(`${ip}:`)), [], "no rule names the container");
});
