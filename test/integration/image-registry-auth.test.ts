// Bearer-token authentication against docker-registry configured with token auth, its
// tokens issued by a small token server in this test (RS256 JWTs with an x5c chain).
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileHeader, writeTar } from "../../src/image/tar/writer.js";
import { MydockerError } from "../../src/util/errors.js";
import { have, isRoot, tempDir, tempStore } from "./image-helpers.js";
import { waitFor } from "../helpers/wait.js";

const skip = !isRoot ? "needs root (extraction sets owners)" : !have("docker-registry") || !have("openssl") ? "needs docker-registry and openssl" : false;

let work: string;
let registry: ChildProcess | undefined;
let tokenServer: http.Server | undefined;
let host: string;
const scopes: string[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString("base64url");

function issue(key: string, certDer: Buffer, scope: string): string {
  const header = { alg: "RS256", typ: "JWT", x5c: [certDer.toString("base64")] };
  const now = Math.floor(Date.now() / 1000);
  const [, name = "", actions = ""] = scope.split(":");
  const claims = {
    iss: "mydocker-test-issuer",
    sub: "tester",
    aud: "mydocker-test-registry",
    exp: now + 300,
    nbf: now - 10,
    iat: now,
    jti: crypto.randomUUID(),
    access: scope ? [{ type: "repository", name, actions: actions.split(",") }] : [],
  };
  const signed = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${signed}.${b64url(crypto.sign("sha256", Buffer.from(signed), key))}`;
}

before(async () => {
  if (skip) return;
  work = tempDir();
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path.join(work, "key.pem"), "-out", path.join(work, "cert.pem"), "-days", "1", "-subj", "/CN=mydocker-test-token"], { stdio: "ignore" });
  const key = fs.readFileSync(path.join(work, "key.pem"), "utf8");
  const certDer = Buffer.from(new crypto.X509Certificate(fs.readFileSync(path.join(work, "cert.pem"))).raw);
  const tokenPort = await freePort();
  tokenServer = http.createServer((req, res) => {
    const url = new URL(req.url!, "http://x");
    if (req.headers.authorization !== `Basic ${Buffer.from("tester:secret").toString("base64")}`) {
      res.writeHead(401).end();
      return;
    }
    const scope = url.searchParams.get("scope") ?? "";
    scopes.push(`${url.searchParams.get("service")} ${scope}`);
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ token: issue(key, certDer, scope) }));
  });
  await new Promise<void>((r) => tokenServer!.listen(tokenPort, "127.0.0.1", r));
  host = `127.0.0.1:${await freePort()}`;
  const config = path.join(work, "registry.yml");
  fs.writeFileSync(config, [
    "version: 0.1",
    "log:\n  level: error",
    `storage:\n  filesystem:\n    rootdirectory: ${path.join(work, "registry")}`,
    `http:\n  addr: ${host}`,
    `auth:\n  token:\n    realm: http://127.0.0.1:${tokenPort}/token\n    service: mydocker-test-registry\n    issuer: mydocker-test-issuer\n    rootcertbundle: ${path.join(work, "cert.pem")}`,
    "",
  ].join("\n"));
  registry = spawn("docker-registry", ["serve", config], { stdio: "ignore" });
  const answers = () => fetch(`http://${host}/v2/`).then((r) => r.status === 401, () => false);
  await waitFor(answers, { what: "docker-registry to answer", intervalMs: 100 });
});

after(() => {
  if (skip) return;
  registry?.kill();
  tokenServer?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

test("push and pull with bearer tokens; without credentials the registry refuses", { skip }, async () => {
  const a = tempStore();
  const b = tempStore();
  try {
    const body = Buffer.from("authenticated\n");
    const image = await a.store.importRootfsTar(writeTar([{ header: fileHeader("hello", body.length), body }]), `${host}/secure/app:1`);
    await assert.rejects(a.store.push(`${host}/secure/app:1`), (e: unknown) => e instanceof MydockerError && e.code === "registry_unauthorized");
    const credentials = { username: "tester", password: "secret" };
    await a.store.push(`${host}/secure/app:1`, { credentials });
    // The registry's challenge names the actions in its own order (push,pull or pull,push).
    const pushScope = (s: string) => /^mydocker-test-registry repository:secure\/app:(pull,push|push,pull)$/.test(s);
    assert.ok(scopes.some(pushScope), scopes.join("; "));
    const pulled = await b.store.pull(`${host}/secure/app:1`, { credentials });
    assert.equal(pulled.id, image.id);
    assert.ok(scopes.includes("mydocker-test-registry repository:secure/app:pull"), scopes.join("; "));
    assert.equal(fs.readFileSync(path.join(b.store.layerDirs(pulled)[0]!, "hello"), "utf8"), "authenticated\n");
  } finally {
    a.cleanup();
    b.cleanup();
  }
});
