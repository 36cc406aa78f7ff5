// A container's names are answered the moment run -d or network connect returned, however late
// aardvark-dns takes up its new configuration (on SIGHUP it closes its servers, reads it, and
// binds them again; netavark does not wait for that). The test holds the suite's own
// aardvark-dns stopped while the engine sets a container up, lets it go once netavark has
// signalled it, and asks the name from the host as soon as the command returned: one query,
// no retry, as busybox's nslookup gives up at once when no server is bound.
import { test } from "node:test";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { cliSuite, isRoot, mydockerAsync, NOT_ROOT, waitFor } from "../helpers/cli.js";

const skip = !isRoot() ? NOT_ROOT : !fs.existsSync("/usr/lib/podman/aardvark-dns") ? "aardvark-dns is not installed (apt-get install netavark aardvark-dns)" : false;
const suite = cliSuite();
const { ok } = suite;
/** How long aardvark-dns is held stopped after netavark signalled it. */
const HELD_MS = 1500;

/**
 * A question for name's A record, on a socket bound beforehand, so that it leaves the moment
 * it is asked. Resolves with the address of the first reply ("" when it has none), undefined
 * when no reply came in 2 s.
 */
async function asker(server: string, name: string): Promise<() => Promise<string | undefined>> {
  const q = Buffer.concat([Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, name.length]), Buffer.from(name), Buffer.from([0, 0, 1, 0, 1])]);
  const s = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => s.bind(0, resolve));
  // Not asked (the test failed before): it does not keep the test's process alive.
  s.unref();
  return () =>
    new Promise((resolve) => {
      const done = (v: string | undefined) => {
        clearTimeout(timer);
        s.close();
        resolve(v);
      };
      const timer = setTimeout(() => done(undefined), 2000);
      s.on("error", () => done(undefined));
      // aardvark-dns's reply to one question: its one A record's address ends the message.
      s.on("message", (m) => done((m[3]! & 0x0f) === 0 && m.readUInt16BE(6) > 0 ? [...m.subarray(m.length - 4)].join(".") : ""));
      s.send(q, 53, server);
    });
}

/** Whether SIGHUP waits to be delivered to the (stopped) process. */
function hupPending(pid: number): boolean {
  const line = fs.readFileSync(`/proc/${pid}/status`, "utf8").match(/^ShdPnd:\s*([0-9a-f]+)$/m)?.[1] ?? "0";
  return (BigInt(`0x${line}`) & 1n) === 1n;
}

/**
 * Runs the command with the suite's aardvark-dns stopped until netavark has signalled it,
 * then asks name at server the moment the command returned: the answer.
 */
async function askRightAfter(args: string[], server: string, name: string): Promise<string | undefined> {
  const ask = await asker(server, name);
  const pid = Number(fs.readFileSync(path.join(suite.roots().runRoot, ".netavark/aardvark-dns/aardvark.pid"), "utf8"));
  process.kill(pid, "SIGSTOP");
  try {
    const cmd = mydockerAsync(suite.roots(), args);
    await waitFor(() => hupPending(pid), { what: "netavark to signal aardvark-dns" });
    // Time for a command that does not wait for the names to return; it may not.
    const early = await Promise.race([cmd.done.then(() => true), sleep(HELD_MS).then(() => false)]);
    assert.equal(early, false, `${args[0]} returned while aardvark-dns had not taken up the container's names`);
    process.kill(pid, "SIGCONT");
    const r = await cmd.done;
    const answer = ask();
    assert.equal(r.status, 0, r.stderr);
    return await answer;
  } finally {
    process.kill(pid, "SIGCONT");
  }
}

test("names answer as soon as run -d and network connect returned, though aardvark-dns reloads late", { skip }, async (t) => {
  t.after(() => suite.md("rm", "-f", "ready1", "ready2"));
  ok("network", "create", "--subnet", "10.231.79.0/24", "mdk-t-ready1");
  ok("network", "create", "--subnet", "10.231.80.0/24", "mdk-t-ready2");
  ok("run", "-d", "--name", "ready1", "--network", "mdk-t-ready1", "busybox", "sleep", "120");
  assert.equal(await (await asker("10.231.79.1", "ready1"))(), "10.231.79.2");

  // The network's first container: no server on its gateway until aardvark-dns reloaded.
  const connected = await askRightAfter(["network", "connect", "mdk-t-ready2", "ready1"], "10.231.80.1", "ready1");
  assert.equal(connected, "10.231.80.2", "the connected container's name, right after connect");

  // A server there already, of the configuration before the container.
  const ran = await askRightAfter(["run", "-d", "--name", "ready2", "--network", "mdk-t-ready2", "busybox", "sleep", "120"], "10.231.80.1", "ready2");
  assert.equal(ran, "10.231.80.3", "the new container's name, right after run -d");
  ok("rm", "-f", "ready1", "ready2");
  ok("network", "rm", "mdk-t-ready1", "mdk-t-ready2");
});
