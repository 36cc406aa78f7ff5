// Where `mydocker serve` listens and who may talk to it: a unix socket of mode 0660 (its
// group with --group), loopback TCP, TCP elsewhere only with TLS, mutual TLS with
// --tlscacert; and a daemon stopped and started again finds the containers that ran on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { BIN, isRoot, mydocker, NOT_ROOT, tempRoots } from "../helpers/cli.js";
import { freePort, makeCertificate, makeClientCertificate } from "../helpers/registry.js";
import { docker, dockerCli, serve } from "../helpers/serve.js";
import { waitFor } from "../helpers/wait.js";

const skip = !isRoot() ? NOT_ROOT : !dockerCli() ? "the docker CLI is not installed (Debian's docker.io provides it)" : false;

test("the unix socket is root's, mode 0660, group from --group", { skip }, async () => {
  const s = await serve(["--group", "4242"]);
  try {
    const st = fs.statSync(s.socket);
    assert.equal(st.mode & 0o777, 0o660);
    assert.deepEqual([st.uid, st.gid], [0, 4242]);
    assert.equal(docker(s, ["version", "--format", "{{.Server.APIVersion}}"]).stdout, "1.47\n");
  } finally {
    await s.stop();
  }
});

function ping(to: { socketPath: string } | { port: number; host: string }, hostHeader?: string): Promise<{ status?: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = "socketPath" in to ? { socketPath: to.socketPath } : { host: "127.0.0.1", port: to.port };
    http
      .get({ ...target, path: "/_ping", headers: hostHeader ? { host: hostHeader } : {} }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode, body }));
      })
      .on("error", reject);
  });
}

test("a socket in a directory that does not exist yet (a fresh machine's /run/mydocker) is made and served", { skip }, async () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-api-dir-"));
  const socketPath = path.join(base, "not", "yet", "docker.sock");
  const s = await serve(["-H", `unix://${socketPath}`]);
  try {
    assert.equal(fs.statSync(socketPath).mode & 0o777, 0o660);
    assert.deepEqual(await ping({ socketPath }), { status: 200, body: "OK" });
  } finally {
    await s.stop();
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test("loopback TCP answers only requests for an address or localhost (a page's name rebound to 127.0.0.1 is refused)", { skip }, async () => {
  const port = await freePort();
  const s = await serve(["-H", `tcp://127.0.0.1:${port}`]);
  try {
    const to = { host: "127.0.0.1", port };
    for (const ok of [`127.0.0.1:${port}`, `localhost:${port}`, `api.moby.localhost`, `[::1]:${port}`]) assert.equal((await ping(to, ok)).status, 200, ok);
    const evil = await ping(to, `attacker.example:${port}`);
    assert.equal(evil.status, 403);
    assert.match(evil.body, /refused on a loopback listener/);
    assert.equal((await ping({ socketPath: s.socket }, "attacker.example")).status, 200, "the unix socket is not a browser's to reach");
  } finally {
    await s.stop();
  }
});

test("TCP off loopback without TLS is refused with a clear message and nothing is left listening", { skip }, async () => {
  const roots = tempRoots("mydocker-api-");
  try {
    const port = await freePort();
    const r = spawnSync(BIN, ["serve", "-H", `tcp://0.0.0.0:${port}`], { env: roots.env, encoding: "utf8", timeout: 30_000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /TLS/);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  } finally {
    roots.cleanup();
  }
});

test("TCP with mutual TLS: a client with a certificate the CA signed is served, one without is not", { skip }, async () => {
  const port = await freePort();
  const certs = fs.mkdtempSync(path.join("/tmp", "mydocker-api-tls-"));
  try {
    const ca = makeCertificate(certs, "server");
    const client = makeClientCertificate(certs, ca);
    const s = await serve(["-H", `tcp://127.0.0.1:${port}`, "--tlscert", ca.cert, "--tlskey", ca.key, "--tlscacert", ca.cert]);
    try {
      const withCert = path.join(certs, "client-dir");
      fs.mkdirSync(withCert);
      fs.copyFileSync(ca.cert, path.join(withCert, "ca.pem"));
      fs.copyFileSync(client.cert, path.join(withCert, "cert.pem"));
      fs.copyFileSync(client.key, path.join(withCert, "key.pem"));
      const env = { ...s.env, DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: withCert };
      const ok = spawnSync("docker", ["version", "--format", "{{.Server.APIVersion}}"], { env, encoding: "utf8", timeout: 30_000 });
      assert.equal(ok.stdout, "1.47\n", ok.stderr);
      const noCert = spawnSync("curl", ["-s", "--cacert", ca.cert, `https://127.0.0.1:${port}/_ping`], { encoding: "utf8", timeout: 30_000 });
      assert.notEqual(noCert.status, 0, "a client without a certificate is refused in the handshake");
    } finally {
      await s.stop();
    }
  } finally {
    fs.rmSync(certs, { recursive: true, force: true });
  }
});

test("containers run on when the daemon stops; a daemon started again on the same roots sees them", { skip }, async () => {
  const first = await serve();
  assert.equal(docker(first, ["run", "-d", "--name", "survivor", "--network", "none", "busybox", "sleep", "1000"]).status, 0);
  // Stopped without removing its roots: the next daemon serves them.
  first.daemon.kill("SIGTERM");
  await new Promise((resolve) => (first.daemon.exitCode !== null ? resolve(undefined) : first.daemon.once("exit", resolve)));
  assert.equal(mydocker(first.roots, ["inspect", "-f", "{{.State.Running}}", "survivor"]).stdout, "true\n");
  const again = spawn(BIN, ["serve", "-H", `unix://${first.socket}`], { env: first.roots.env, stdio: "ignore" });
  const exited = new Promise((resolve) => again.once("exit", resolve));
  try {
    let ps = "";
    await waitFor(() => (ps = docker(first, ["ps", "--format", "{{.Names}} {{.State}}"]).stdout) !== "", { what: "the second daemon to answer" });
    assert.equal(ps, "survivor running\n");
  } finally {
    again.kill("SIGTERM");
    await exited;
    first.roots.cleanup();
    fs.rmSync(first.socket, { force: true });
  }
});
