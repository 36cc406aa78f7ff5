// The monitor's published ports (`forwarding`, `publish`: docker-proxy's job), from the shim's
// side and without root: the real shim runs a plan whose "container" is a plain process in
// the test's own namespaces, and forwards loopback ports to servers of the test's own.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import dgram from "node:dgram";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { encodePlan, type PlanStep } from "../../src/runtime/plan.js";
import { waitFor } from "../helpers/wait.js";
import { askUdp, connects, exchange } from "../helpers/sockets.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const SHIM = path.join(REPO, "native/mydocker-shim");
const skip = fs.existsSync(SHIM) ? false : `${SHIM} is missing: build it with make -C native`;

let dir: string;
let n = 0;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-forward-"));
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const FORWARDING: PlanStep = { op: "forwarding", maxConns: 4, maxFlows: 2, udpIdleMs: 90_000 };
type Publish = Extract<PlanStep, { op: "publish" }>;
const tcp = (hostPort: number, containerPort: number): Publish => ({ op: "publish", protocol: "tcp", hostIp: "127.0.0.1", hostPort, containerIp: "127.0.0.1", containerPort });
const udp = (hostPort: number, containerPort: number): Publish => ({ ...tcp(hostPort, containerPort), protocol: "udp" });

function planFile(steps: PlanStep[]): string {
  const file = path.join(dir, `plan-${++n}`);
  const plan: PlanStep[] = [{ op: "clone", flags: 0 }, ...steps, { op: "exec", searchPath: "/bin:/usr/bin", argv: ["sleep", "60"] }];
  fs.writeFileSync(file, encodePlan(plan));
  return file;
}

/** A port nothing uses now (tcp or udp). */
async function freePort(kind: "tcp" | "udp" = "tcp"): Promise<number> {
  if (kind === "udp") {
    const s = dgram.createSocket("udp4");
    await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
    const { port } = s.address();
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The shim running plan steps until the test ends (killed then). */
function runShim(t: { after: (fn: () => void) => void }, steps: PlanStep[]): ChildProcess {
  const shim = spawn(SHIM, ["--plan", planFile(steps)], { stdio: ["ignore", "ignore", "pipe"] });
  t.after(() => shim.kill("SIGKILL"));
  return shim;
}

test("the forwarding records are checked: publish needs forwarding, tcp or udp, IPv4, ports 1-65535, no handoff", { skip }, () => {
  const check = (steps: PlanStep[]) => spawnSync(SHIM, ["--check-plan", planFile(steps)], { encoding: "utf8" });
  assert.equal(check([FORWARDING, tcp(80, 80), udp(53, 53)]).status, 0);
  assert.equal(check([tcp(80, 80)]).stderr, "mydocker-shim: 1 publish: Invalid argument (errno 22): publish needs forwarding\n");
  assert.equal(check([FORWARDING, { ...tcp(80, 80), protocol: "sctp" as "tcp" }]).stderr, "mydocker-shim: 2 publish: Invalid argument (errno 22): PROTO must be tcp or udp\n");
  assert.equal(check([FORWARDING, { ...tcp(80, 80), hostIp: "::1" }]).stderr, "mydocker-shim: 2 publish: Invalid argument (errno 22): HOSTIP and CONTAINERIP must be IPv4 addresses\n");
  assert.equal(check([FORWARDING, tcp(0, 80)]).stderr, "mydocker-shim: 2 publish: Numerical result out of range (errno 34): HOSTPORT and CONTAINERPORT must be 1 to 65535\n");
  assert.equal(check([{ ...FORWARDING, maxConns: 0 } as PlanStep, tcp(80, 80)]).status, 125);
  assert.match(check([{ op: "handoff" }, FORWARDING, tcp(80, 80)]).stderr, /forwarding: .*not with handoff/);
});

test("tcp: megabytes both ways through splice, the client's half-close passed on, the reply after it", { skip }, async (t) => {
  // The "container": a server that answers only once the client has finished sending.
  const server = net.createServer({ allowHalfOpen: true }, (c) => {
    const got: Buffer[] = [];
    c.on("data", (d: Buffer) => got.push(d));
    c.on("end", () => {
      const all = Buffer.concat(got);
      c.end(Buffer.concat([crypto.createHash("sha256").update(all).digest(), all.reverse()]));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  const port = await freePort();
  runShim(t, [FORWARDING, tcp(port, (server.address() as net.AddressInfo).port)]);
  await waitFor(() => connects(port), { what: "the published port" });

  const data = crypto.randomBytes(3 << 20);
  // More connections at once than the table holds: the others wait in the backlog, none is lost.
  const replies = await Promise.all(Array.from({ length: 6 }, () => exchange(port, data)));
  const want = Buffer.concat([crypto.createHash("sha256").update(data).digest(), Buffer.from(data).reverse()]);
  for (const r of replies) assert.ok(r.equals(want), `a reply of ${r.length} bytes, not the ${want.length} sent back`);
});

test("tcp: a container port that refuses is a connection closed at once", { skip }, async (t) => {
  const port = await freePort();
  runShim(t, [FORWARDING, tcp(port, await freePort())]);
  await waitFor(() => connects(port), { what: "the published port" });
  const reply = await exchange(port, Buffer.from("hello")).catch((e: NodeJS.ErrnoException) => e.code);
  assert.ok(reply === "ECONNRESET" || (Buffer.isBuffer(reply) && reply.length === 0), `closed, not ${String(reply)}`);
});

test("udp: each client's datagrams reach the container and its replies come back to that client", { skip }, async (t) => {
  const echo = dgram.createSocket("udp4");
  echo.on("message", (msg, from) => echo.send(Buffer.concat([Buffer.from("echo "), msg]), from.port, from.address));
  await new Promise<void>((r) => echo.bind(0, "127.0.0.1", r));
  t.after(() => echo.close());
  const port = await freePort("udp");
  runShim(t, [FORWARDING, udp(port, echo.address().port)]);
  const ask = (text: string) => askUdp(port, text);
  await waitFor(async () => (await ask("ping")) === "echo ping", { what: "a udp echo through the published port" });
  // Three clients one after the other, the table holding two flows: the longest idle one gives its place up.
  const replies: (string | undefined)[] = [];
  for (const text of ["a", "b", "c"]) replies.push(await ask(text));
  assert.deepEqual(replies, ["echo a", "echo b", "echo c"]);
});

test("a published port that is taken fails the plan before anything runs; a killed monitor's ports are closed", { skip }, async (t) => {
  const holder = net.createServer();
  await new Promise<void>((r) => holder.listen(0, "127.0.0.1", r));
  t.after(() => holder.close());
  const taken = (holder.address() as net.AddressInfo).port;
  const r = spawnSync(SHIM, ["--plan", planFile([FORWARDING, tcp(await freePort(), 80), tcp(taken, 80)])], { encoding: "utf8", timeout: 10_000 });
  assert.equal(r.status, 125);
  assert.equal(r.stderr, `mydocker-shim: 3 publish: Address already in use (errno 98): bind 127.0.0.1:${taken}/tcp\n`);

  const port = await freePort();
  const shim = runShim(t, [FORWARDING, tcp(port, 80)]);
  await waitFor(() => connects(port), { what: "the published port" });
  shim.kill("SIGKILL");
  await waitFor(async () => !(await connects(port)), { what: "the port to be closed with its monitor" });
});
