// `mydocker serve` under clients that misbehave and containers that hang: a client that
// stops reading holds back only its own stream (the daemon buffers nothing for it), one that
// leaves frees what its stream held, and a container that does not stop blocks no other request.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import { setImmediate as nextTurn } from "node:timers/promises";
import { api, docker, dockerAsync, servedSuite, type Served } from "../helpers/serve.js";
import { waitFor } from "../helpers/wait.js";

const { skip, served: s } = servedSuite();
const d = (...args: string[]) => docker(s(), args);

/** The daemon's sockets: its clients' connections and its own to containers' monitors. */
const openSockets = (served: Served) => {
  const dir = `/proc/${served.daemon.pid}/fd`;
  return fs.readdirSync(dir).filter((fd) => {
    try {
      return fs.readlinkSync(`${dir}/${fd}`).startsWith("socket:");
    } catch {
      // Closed between the listing and this look: not open any more.
      return false;
    }
  }).length;
};
const rssBytes = (served: Served) => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${served.daemon.pid}/status`, "utf8"))![1]) * 1024;

/** A raw request on the daemon's socket whose reply is never read: the client stalls. */
function stalledRequest(socket: string, method: string, p: string, extra = ""): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const c = net.connect(socket, () => {
      c.write(`${method} ${p} HTTP/1.1\r\nHost: docker\r\n${extra}\r\n`);
      // Read the status line, then stop reading altogether.
      c.once("data", () => {
        c.pause();
        resolve(c);
      });
    });
    c.on("error", reject);
  });
}

/** Milliseconds a docker CLI command took, and its result. */
function timed(args: string[]) {
  const t = Date.now();
  const r = d(...args);
  return { ms: Date.now() - t, ...r };
}

test("a client that stops reading logs -f, attach, events and stats holds back its own stream only; when it leaves its resources go", { skip }, async () => {
  // 40 MB of output, far more than socket buffers hold.
  const r = d("run", "-d", "--name", "chatty", "--network", "none", "busybox", "sh", "-c", "i=0; while [ $i -lt 400 ]; do head -c 100000 /dev/zero | tr '\\0' x; echo; i=$((i+1)); done; exec sleep 1000");
  assert.equal(r.status, 0, r.stderr);
  await waitFor(() => d("inspect", "-f", "{{.State.Running}}", "chatty").stdout === "true\n", { what: "chatty to run" });
  const socketsBefore = openSockets(s());
  const rssBefore = rssBytes(s());
  const clients = [
    await stalledRequest(s().socket, "GET", "/v1.47/containers/chatty/logs?follow=1&stdout=1&stderr=1"),
    await stalledRequest(s().socket, "GET", "/v1.47/containers/chatty/logs?follow=1&stdout=1"),
    await stalledRequest(s().socket, "POST", "/v1.47/containers/chatty/attach?stream=1&stdout=1&logs=1", "Connection: Upgrade\r\nUpgrade: tcp\r\n"),
    await stalledRequest(s().socket, "GET", "/v1.47/events"),
    await stalledRequest(s().socket, "GET", "/v1.47/containers/chatty/stats"),
  ];
  // The daemon keeps answering while its writers wait for clients that do not read.
  const ping = timed(["version", "--format", "{{.Server.APIVersion}}"]);
  assert.equal(ping.stdout, "1.47\n", ping.stderr);
  assert.ok(ping.ms < 10_000, `version took ${ping.ms} ms`);
  const grown = rssBytes(s()) - rssBefore;
  assert.ok(grown < 30 * 2 ** 20, `the daemon grew ${grown} bytes for stalled clients of 40 MB of logs`);
  for (const c of clients) c.destroy();
  await waitFor(() => openSockets(s()) <= socketsBefore, { what: `the daemon's sockets to fall back to ${socketsBefore}` });
  assert.equal(d("rm", "-f", "chatty").status, 0);
});

test("a container that does not stop blocks no other request; a wait and logs -f on it end when it is killed", { skip }, async () => {
  assert.equal(d("run", "-d", "--name", "stubborn", "--network", "none", "busybox", "sh", "-c", "trap '' TERM; echo up; while true; do sleep 1; done").status, 0);
  await waitFor(() => d("logs", "stubborn").stdout === "up\n", { what: "stubborn to run" });
  const stop = dockerAsync(s(), ["stop", "-t", "30", "stubborn"]);
  const waiter = dockerAsync(s(), ["wait", "stubborn"]);
  const follower = dockerAsync(s(), ["logs", "-f", "stubborn"]);
  await waitFor(() => follower.out() === "up\n", { what: "logs -f to follow" });
  for (const args of [["ps", "-a"], ["run", "--rm", "--network", "none", "busybox", "echo", "ok"], ["inspect", "stubborn"]]) {
    const t = timed(args);
    assert.equal(t.status, 0, t.stderr);
    assert.ok(t.ms < 10_000, `${args.join(" ")} took ${t.ms} ms while a stop waited`);
  }
  assert.equal(d("pause", "stubborn").status, 0);
  const exec = timed(["exec", "stubborn", "true"]);
  assert.notEqual(exec.status, 0, "exec into a paused container is refused");
  assert.ok(exec.ms < 10_000);
  assert.equal(d("unpause", "stubborn").status, 0);
  assert.equal(d("kill", "stubborn").status, 0);
  const [w, f] = await Promise.all([waiter.done, follower.done]);
  assert.equal(w.stdout, "137\n");
  assert.equal(f.status, 0);
  await stop.done;
  assert.equal(d("rm", "-f", "stubborn").status, 0);
});

/**
 * exec start over a hijacked connection whose body comes apart from its headers, as the
 * docker CLI writes it (two writes): here a byte at a time. Its stdin, then its end, must
 * reach the process. A daemon that left the socket paused after reading the body never
 * passed either on: docker exec -i hung on a loaded machine.
 */
function execStartSplit(socket: string, execId: string, input: string): Promise<string> {
  const body = JSON.stringify({ Detach: false, Tty: false });
  return new Promise((resolve, reject) => {
    const c = net.connect(socket, async () => {
      c.write(`POST /v1.47/exec/${execId}/start HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
      for (const ch of body) {
        await nextTurn();
        c.write(ch);
      }
    });
    let got = Buffer.alloc(0);
    c.on("data", (d: Buffer) => {
      const upgraded = got.includes("\r\n\r\n");
      got = Buffer.concat([got, d]);
      if (!upgraded && got.includes("\r\n\r\n")) c.end(input);
    });
    const late = setTimeout(() => {
      c.destroy();
      reject(new Error(`exec start did not end within 30 s; it sent ${JSON.stringify(got.toString("latin1"))}`));
    }, 30_000);
    c.on("error", reject);
    // The daemon ends the connection once the process ended and its output was sent.
    c.on("close", () => {
      clearTimeout(late);
      resolve(got.toString("latin1"));
    });
  });
}

test("exec start whose body comes in pieces after its headers: the process gets its stdin and its end", { skip }, async () => {
  assert.equal(d("run", "-d", "--name", "reader", "--network", "none", "busybox", "sleep", "1000").status, 0);
  for (let i = 0; i < 3; i++) {
    const created = await api(s(), "POST", "/v1.47/containers/reader/exec", { AttachStdin: true, AttachStdout: true, AttachStderr: true, Cmd: ["cat"] });
    assert.equal(created.status, 201);
    const reply = await execStartSplit(s().socket, created.body.Id, `piped ${i}\n`);
    assert.match(reply, /^HTTP\/1.1 101 /);
    // One stdout frame: stream 1, the length, then cat's copy of the input.
    assert.ok(reply.endsWith(`\x01\0\0\0\0\0\0\x08piped ${i}\n`), JSON.stringify(reply));
    const inspected = await api(s(), "GET", `/v1.47/exec/${created.body.Id}/json`);
    assert.deepEqual([inspected.body.Running, inspected.body.ExitCode], [false, 0]);
  }
  assert.equal(d("rm", "-f", "reader").status, 0);
});
