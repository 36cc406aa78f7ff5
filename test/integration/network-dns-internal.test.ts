// --dns on a user network (aardvark-dns forwards the names it does not know to the servers
// given, as docker's embedded server does) and --internal networks (no route out, which
// `ip route get` asks without sending anything; names still answered). The upstream is this test's own DNS responder on a loopback address of the host;
// traffic only to it, to loopback and between the test's containers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import { cliSuite, isRoot, NOT_ROOT, waitFor } from "../helpers/cli.js";

const skip = !isRoot() ? NOT_ROOT : !fs.existsSync("/usr/lib/podman/netavark") ? "netavark is not installed (apt-get install netavark aardvark-dns)" : false;
const suite = cliSuite();
const { md, ok } = suite;

/**
 * A DNS responder on ADDRESS:53, in a process of its own (the test waits in spawnSync), that
 * answers every A question with ANSWER and prints each name asked.
 */
const RESPONDER = `
const dgram = require("node:dgram");
const [address, answer] = process.argv.slice(1);
const sock = dgram.createSocket("udp4");
sock.on("message", (q, from) => {
  // The question: labels from byte 12 up to a zero byte, then QTYPE and QCLASS.
  let i = 12;
  const labels = [];
  while (i < q.length && q[i] > 0) { labels.push(q.subarray(i + 1, i + 1 + q[i]).toString()); i += q[i] + 1; }
  console.log(labels.join("."));
  const isA = q.readUInt16BE(i + 1) === 1;
  const header = Buffer.from(q.subarray(0, 12));
  header.writeUInt16BE(0x8180, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(isA ? 1 : 0, 6);
  header.writeUInt32BE(0, 8);
  const rr = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...answer.split(".").map(Number)]);
  sock.send(Buffer.concat([header, q.subarray(12, i + 5), ...(isA ? [rr] : [])]), from.port, from.address);
});
sock.on("error", (e) => { console.error(e.message); process.exit(1); });
sock.bind(53, address, () => console.log("ready"));
`;

async function responder(address: string, answer: string): Promise<{ asked: () => string[]; close: () => void }> {
  const child = spawn(process.execPath, ["-e", RESPONDER, address, answer], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d));
  child.stderr.on("data", (d: Buffer) => (err += d));
  await waitFor(() => out.startsWith("ready") || child.exitCode !== null, { what: "the DNS responder to listen" });
  if (!out.startsWith("ready")) throw new Error(err.trim() || "it ended");
  return { asked: () => out.split("\n").slice(1), close: () => child.kill() };
}

test("--dns on a user network: resolv.conf names aardvark-dns alone, which asks the servers given for other names", { skip }, async (t) => {
  const upstream = "127.0.0.77";
  let dns: Awaited<ReturnType<typeof responder>>;
  try {
    dns = await responder(upstream, "192.0.2.55");
  } catch (e) {
    t.skip(`cannot serve DNS on ${upstream}:53 here: ${(e as Error).message}`);
    return;
  }
  t.after(() => dns.close());
  ok("network", "create", "mdk-t-dns");
  t.after(() => md("network", "rm", "mdk-t-dns"));
  const gateway = JSON.parse(ok("network", "inspect", "mdk-t-dns"))[0].IPAM.Config[0].Gateway as string;
  ok("run", "-d", "--name", "dns-peer", "--network", "mdk-t-dns", "busybox", "sleep", "60");
  t.after(() => md("rm", "-f", "dns-peer"));
  const r = md("run", "--rm", "--network", "mdk-t-dns", "--dns", upstream, "busybox", "sh", "-c",
    "cat /etc/resolv.conf; nslookup outside.mydocker.test | grep -A1 '^Name:' | tail -1; nslookup dns-peer | grep -A1 '^Name:' | tail -1");
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.split("\n").filter((l) => l.startsWith("nameserver")), [`nameserver ${gateway}`], "aardvark-dns alone, as docker's 127.0.0.11");
  assert.match(r.stdout, /^Address: 192\.0\.2\.55$/m, "the name came from the --dns server");
  // Its output is read once this process is no longer waiting in spawnSync.
  await waitFor(() => dns.asked().includes("outside.mydocker.test"), { what: "the --dns server to have been asked" });
  const peer = JSON.parse(ok("inspect", "dns-peer"))[0].NetworkSettings.Networks["mdk-t-dns"].IPAddress as string;
  assert.match(r.stdout, new RegExp(`^Address: ${peer.replaceAll(".", "\\.")}$`, "m"), "the network's own names are still aardvark's");
  assert.ok(!dns.asked().some((n) => n.startsWith("dns-peer")), "a container's name does not go upstream");
});

test("--internal: no route out of the network, not even to the host; names still resolve", { skip }, async (t) => {
  ok("network", "create", "--internal", "mdk-t-int");
  t.after(() => md("network", "rm", "mdk-t-int"));
  assert.equal(JSON.parse(ok("network", "inspect", "mdk-t-int"))[0].Internal, true);
  ok("run", "-d", "--name", "int-peer", "--network", "mdk-t-int", "busybox", "sleep", "60");
  t.after(() => md("rm", "-f", "int-peer"));
  const peer = JSON.parse(ok("inspect", "int-peer"))[0].NetworkSettings.Networks["mdk-t-int"].IPAddress as string;
  const r = md("run", "--rm", "--network", "mdk-t-int", "busybox", "sh", "-c",
    "ip route; echo ---; ip route get 192.0.2.1 >/dev/null 2>&1 && echo out || echo no-way-out; nslookup int-peer | grep -A1 '^Name:' | tail -1; ping -c 1 -W 2 int-peer >/dev/null && echo peer-answers");
  assert.equal(r.status, 0, r.stderr);
  const [routes] = r.stdout.split("---");
  assert.doesNotMatch(routes!, /^default/m, "no default route");
  assert.match(r.stdout, /no-way-out/);
  assert.match(r.stdout, new RegExp(`^Address: ${peer.replaceAll(".", "\\.")}$`, "m"));
  assert.match(r.stdout, /peer-answers/);
});
