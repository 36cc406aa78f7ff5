// The monitor's attach socket never waits on one party: a container that does not read its
// stdin for a while keeps it, and a client that does not read does not hold up the others.
// Driven with plans (no namespaces: what is tested is the monitor, not the container).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";
import { framePlan, type Plan } from "../../src/runtime/plan.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const SHIM = path.join(REPO, "native/mydocker-shim");
const skip = fs.existsSync(SHIM) ? false : `${SHIM} is missing: build it with make -C native`;
const BACKLOG = 4 << 20;

let dir: string;
let n = 0;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-shim-attach-"));
});
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill("SIGKILL");
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A process with its output logged and served on an attach socket, waiting for `go`. */
function plan(script: string, sock: string, stdin: boolean, tty: boolean): Plan {
  return [
    { op: "clone", flags: 0 },
    { op: "sync" },
    ...(tty ? [{ op: "tty" } as const] : []),
    { op: "log", path: path.join(dir, `log-${n}`), maxBytes: 0, lineMax: 16384 },
    { op: "drain", ms: 100 },
    { op: "attach", path: sock, maxClients: 8, backlogBytes: BACKLOG, flushMs: 5000 },
    ...(stdin ? [{ op: "stdinpipe" } as const] : []),
    ...(tty ? [{ op: "setsid" } as const, { op: "console", consolePath: "" } as const] : []),
    { op: "exec", searchPath: "/usr/bin:/bin", argv: ["/bin/sh", "-c", script] },
  ];
}

/** Starts the shim; resolves with its socket once listening, and `go` to let the process run. */
async function start(script: string, stdin = false, tty = false, sockDir = dir): Promise<{ sock: string; pid: number; go: () => void; exited: Promise<number | null> }> {
  const sock = path.join(sockDir, `attach-${++n}`);
  const child = spawn(SHIM, [], { stdio: ["ignore", "ignore", "pipe", "pipe"] });
  children.push(child);
  const control = child.stdio[3] as Duplex;
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const pid = new Promise<void>((resolve, reject) => {
    let got = "";
    control.on("data", (d: Buffer) => {
      got += d.toString();
      if (/^pid \d+$/m.test(got)) resolve();
    });
    void exited.then(() => reject(new Error(`the shim ended: ${got} ${stderr}`)));
  });
  control.on("error", () => {});
  control.write(framePlan(plan(script, sock, stdin, tty)));
  await pid;
  return { sock, pid: child.pid!, go: () => control.write("go\n"), exited };
}

/**
 * script run once a client's first byte of input arrived: the monitor reads a client's input
 * only after it took the client in, so the output cannot start before the clients (connected
 * in order) are there to get all of it.
 */
function afterInput(script: string): string {
  return `head -c 1 >/dev/null; ${script}`;
}

interface Received {
  stdout: Buffer;
  /** ms from the start to the first output */
  firstAt: number;
  /** ms from the start to EOF */
  endedAt: number;
}

/** A client that reads everything until EOF. */
function reader(sock: string, t0: number): { conn: net.Socket; done: Promise<Received> } {
  const conn = net.createConnection(sock);
  const chunks: Buffer[] = [];
  let pending = Buffer.alloc(0);
  let firstAt = -1;
  const done = new Promise<Received>((resolve, reject) => {
    conn.on("data", (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
        const len = pending.readUInt32BE(1);
        if (pending[0] === 1) chunks.push(pending.subarray(5, 5 + len));
        if (firstAt < 0 && len > 0) firstAt = Date.now() - t0;
        pending = pending.subarray(5 + len);
      }
    });
    conn.on("end", () => resolve({ stdout: Buffer.concat(chunks), firstAt, endedAt: Date.now() - t0 }));
    conn.on("error", reject);
  });
  return { conn, done };
}

function frame(type: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(5);
  h[0] = type;
  h.writeUInt32BE(data.length, 1);
  return Buffer.concat([h, data]);
}

const connected = (conn: net.Socket) => new Promise<void>((resolve) => conn.once("connect", resolve));

test("input waits for a container that does not read its stdin for 2 s: nothing is lost, output flows meanwhile", { skip, timeout: 60_000 }, async () => {
  const c = await start("sleep 0.5; echo early; sleep 2; wc -c", true);
  const t0 = Date.now();
  const r = reader(c.sock, t0);
  await connected(r.conn);
  // Far more than the stdin pipe holds: the monitor has to wait for the container to read.
  const input = Buffer.alloc(1 << 20, 0x61);
  r.conn.write(Buffer.concat([frame(0, input.subarray(0, 1 << 19)), frame(0, input.subarray(1 << 19)), frame(1)]));
  c.go();
  const got = await r.done;
  assert.equal(got.stdout.toString(), `early\n${1 << 20}\n`);
  // The old monitor sat in a blocking write to the full stdin pipe until the container read it.
  assert.ok(got.firstAt < 2000, `the output came ${got.firstAt} ms in, while the stdin pipe was full`);
  assert.equal(await c.exited, 0);
});

test("with a tty, input waits for a container that does not read it for 2 s (no 1 s give-up)", { skip, timeout: 60_000 }, async () => {
  const size = 300_000; // far more than a pty takes
  const c = await start(`stty raw -echo; echo R; sleep 2; timeout --foreground 5 head -c ${size} | wc -c`, true, true);
  const r = reader(c.sock, Date.now());
  await connected(r.conn);
  let seen = "";
  const ready = new Promise<void>((resolve) =>
    r.conn.on("data", (d: Buffer) => {
      seen += d.toString("latin1");
      if (seen.includes("R")) resolve();
    }),
  );
  c.go();
  // Only once the pty is raw: cooked, it would cut the long line.
  await ready;
  r.conn.write(frame(0, Buffer.alloc(size, 0x61)));
  const got = await r.done;
  assert.match(got.stdout.toString(), new RegExp(`^R\r?\n${size}\r?\n$`));
  assert.equal(await c.exited, 0);
});

test("a client that reads nothing does not hold up the container or another client", { skip, timeout: 60_000 }, async () => {
  const size = 3_000_000; // well over what a socket buffers, well under the backlog
  const c = await start(afterInput(`head -c ${size} /dev/zero`), true);
  const t0 = Date.now();
  const stuck = net.createConnection(c.sock);
  await connected(stuck);
  stuck.pause();
  const r = reader(c.sock, t0);
  await connected(r.conn);
  c.go();
  r.conn.write(frame(0, Buffer.from("x")));
  const got = await r.done;
  assert.equal(got.stdout.length, size);
  // The old monitor waited up to 5 s for the stuck client before it served anyone else.
  assert.ok(got.endedAt < 4000, `the reading client had all of it after ${got.endedAt} ms`);
  stuck.destroy();
  assert.equal(await c.exited, 0);
});

test("a client more than the backlog behind is dropped; the others get everything", { skip, timeout: 60_000 }, async () => {
  const size = BACKLOG + 2_000_000;
  const c = await start(afterInput(`head -c ${size} /dev/zero`), true);
  const t0 = Date.now();
  const stuck = reader(c.sock, t0);
  await connected(stuck.conn);
  stuck.conn.pause();
  const r = reader(c.sock, t0);
  await connected(r.conn);
  c.go();
  r.conn.write(frame(0, Buffer.from("x")));
  assert.equal((await r.done).stdout.length, size);
  stuck.conn.resume();
  const dropped = await stuck.done;
  assert.ok(dropped.stdout.length < size, `the stuck client was cut off (${dropped.stdout.length} of ${size})`);
  assert.equal(await c.exited, 0);
});

test("a socket path longer than sun_path works, and the monitor keeps no fd of its directory", { skip, timeout: 60_000 }, async () => {
  const deep = path.join(dir, "d".repeat(60), "e".repeat(60));
  fs.mkdirSync(deep, { recursive: true });
  // The process answers the client's input: its output comes after the monitor took the
  // client in, so none of it can go out before (a reply to "echo" could, under load).
  const c = await start("head -c 8", true, false, deep);
  assert.ok(Buffer.byteLength(c.sock) > 107, "the path does not fit in sun_path");
  const held = fs.readdirSync(`/proc/${c.pid}/fd`).map((fd) => {
    try {
      return fs.readlinkSync(`/proc/${c.pid}/fd/${fd}`);
    } catch {
      return "";
    }
  });
  assert.ok(!held.includes(deep), `the monitor still holds ${deep}`);
  // Node cannot connect to so long a path either: through a directory fd of ours.
  const dirFd = fs.openSync(deep, "r");
  const r = reader(`/proc/self/fd/${dirFd}/${path.basename(c.sock)}`, Date.now());
  await connected(r.conn);
  c.go();
  r.conn.write(Buffer.concat([frame(0, Buffer.from("through\n")), frame(1)]));
  assert.equal((await r.done).stdout.toString(), "through\n");
  fs.closeSync(dirFd);
  assert.equal(await c.exited, 0);
});
