// Where `mydocker serve` listens: a fresh machine has no /run/mydocker, so the socket's
// directory is made; the socket is 0660; TCP off loopback without TLS is refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { BIN, isRoot, mydocker, NOT_ROOT, tempRoots } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait.js";

function ping(socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath, path: "/_ping" }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d));
        res.on("end", () => resolve(body));
      })
      .on("error", reject);
  });
}

test("serve makes a missing socket directory and answers on a 0660 socket", { skip: !isRoot() && NOT_ROOT }, async (t) => {
  const roots = tempRoots("mydocker-api-listen-");
  t.after(() => roots.cleanup());
  const socket = path.join(path.dirname(roots.root), "not", "yet", "docker.sock");
  const daemon = spawn(process.execPath, ["--", BIN, "serve", "-H", `unix://${socket}`], { env: roots.env, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  daemon.stderr!.on("data", (d: Buffer) => (log += d));
  const exited = new Promise<void>((resolve) => daemon.once("exit", () => resolve()));
  t.after(async () => {
    if (daemon.exitCode === null) daemon.kill("SIGTERM");
    await exited;
  });
  await waitFor(() => log.includes("API listening") || daemon.exitCode !== null, { what: "the daemon to listen" });
  assert.equal(daemon.exitCode, null, log);
  assert.equal(fs.statSync(socket).mode & 0o777, 0o660);
  assert.equal(await ping(socket), "OK");
});

test("serve refuses TCP off loopback without TLS, in one line, exit 125", { skip: !isRoot() && NOT_ROOT }, (t) => {
  const roots = tempRoots("mydocker-api-listen-");
  t.after(() => roots.cleanup());
  for (const host of ["tcp://0.0.0.0:2375", "tcp://[::]:2375"]) {
    const r = mydocker(roots, ["serve", "-H", host], { timeout: 20_000 });
    assert.equal(r.status, 125, r.stderr);
    assert.match(r.stderr, /^mydocker: refusing to listen on .* without TLS/);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  }
});
