// The command line against docker-registry on TLS (a self-signed certificate made here)
// and with htpasswd logins: certs.d trust, --tls-verify=false, insecure-registries,
// login/logout into docker's config.json, podman's auth file, a credential helper.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { writeTar, fileHeader } from "../../src/image/tar/writer.js";
import { NOT_ROOT, isRoot, mydocker, tempRoots, type Roots } from "../helpers/cli.js";
import { makeCertificate, makeClientCertificate, makeHtpasswd, startRegistry, type Registry } from "../helpers/registry.js";
import { have } from "./image-helpers.js";

const skip = !isRoot() ? NOT_ROOT : !have("docker-registry") || !have("openssl") || !have("python3") ? "needs docker-registry, openssl and python3 (bcrypt for htpasswd)" : false;

let roots: Roots;
let work: string;
let tlsOpen: Registry;
let tlsAuth: Registry;
let tlsClient: Registry;
let cert: { cert: string; key: string };

/** Runs mydocker with extra environment (a config file, a docker config dir). */
function md(args: string[], env: Record<string, string> = {}, input?: string) {
  return mydocker({ ...roots, env: { ...roots.env, ...env } }, args, { input });
}

/** certs.d with the registry's CA under HOST:PORT, and the engine settings file naming it. */
function trustingConfig(host: string): string {
  const certsD = path.join(work, `certs.d-${host.replace(/:/g, "_")}`);
  fs.mkdirSync(path.join(certsD, host), { recursive: true });
  fs.copyFileSync(cert.cert, path.join(certsD, host, "ca.crt"));
  const file = path.join(work, `trust-${host.replace(/:/g, "_")}.json`);
  fs.writeFileSync(file, JSON.stringify({ "certs-d": [certsD] }));
  return file;
}

before(async () => {
  if (skip) return;
  roots = tempRoots("mydocker-tls-");
  work = path.dirname(roots.root);
  // No login or setting from the machine itself leaks in.
  roots.env = { ...roots.env, DOCKER_CONFIG: path.join(work, "docker"), XDG_RUNTIME_DIR: path.join(work, "xdg"), MYDOCKER_CONFIG_FILE: path.join(work, "none.json") };
  delete roots.env.REGISTRY_AUTH_FILE;
  cert = makeCertificate(work);
  makeHtpasswd(path.join(work, "htpasswd"), "tester", "s3cret");
  tlsOpen = await startRegistry(path.join(work, "reg-open"), { tls: cert });
  tlsAuth = await startRegistry(path.join(work, "reg-auth"), { tls: cert, htpasswd: path.join(work, "htpasswd") });
  // Serves only clients with a certificate its CA (the server's own, here) signed.
  tlsClient = await startRegistry(path.join(work, "reg-client"), { tls: { ...cert, clientCa: cert.cert } });
  const body = Buffer.from("over tls\n");
  const tar: Buffer[] = [];
  for await (const chunk of writeTar([{ header: fileHeader("hello", body.length), body }])) tar.push(chunk);
  fs.writeFileSync(path.join(work, "rootfs.tar"), Buffer.concat(tar));
  const r = md(["import", path.join(work, "rootfs.tar"), "local/app:1"]);
  assert.equal(r.status, 0, r.stderr);
});

after(() => {
  if (skip) return;
  tlsOpen?.stop();
  tlsAuth?.stop();
  tlsClient?.stop();
  roots?.cleanup();
});

test("a TLS registry on loopback: refused while its CA is unknown, trusted through certs.d, or --tls-verify=false", { skip }, () => {
  const ref = `${tlsOpen.host}/tls/app:1`;
  assert.equal(md(["tag", "local/app:1", ref]).status, 0);
  const untrusted = md(["push", ref]);
  assert.equal(untrusted.status, 1);
  assert.match(untrusted.stderr, /certificate is not trusted .*certs\.d\/127\.0\.0\.1:\d+\/ca\.crt/);
  assert.doesNotMatch(untrusted.stderr, /\n\s+at /, "no stack trace");

  const trusted = { MYDOCKER_CONFIG_FILE: trustingConfig(tlsOpen.host) };
  const pushed = md(["push", ref], trusted);
  assert.equal(pushed.status, 0, pushed.stderr);
  assert.match(pushed.stderr, /digest: sha256:[0-9a-f]{64}/);

  assert.equal(md(["rmi", ref]).status, 0);
  const pulled = md(["pull", "--tls-verify=false", ref]);
  assert.equal(pulled.status, 0, pulled.stderr);
  const listed = md(["images", "--format", "{{.Repository}}:{{.Tag}}"]);
  assert.ok(listed.stdout.split("\n").includes(ref), listed.stdout);

  // Listed as insecure in the settings file: HTTPS without verification too.
  const insecure = path.join(work, "insecure.json");
  fs.writeFileSync(insecure, JSON.stringify({ "insecure-registries": ["127.0.0.0/8"] }));
  assert.equal(md(["rmi", ref]).status, 0);
  const again = md(["pull", ref], { MYDOCKER_CONFIG_FILE: insecure });
  assert.equal(again.status, 0, again.stderr);
  // --tls-verify=true keeps verifying whatever the settings say.
  const strict = md(["pull", "--tls-verify=true", ref], { MYDOCKER_CONFIG_FILE: insecure });
  assert.equal(strict.status, 1);
  assert.match(strict.stderr, /certificate is not trusted/);
});

test("NODE_EXTRA_CA_CERTS, which bin/mydocker keeps out of node's start, is trusted by push, pull and a build's ADD of an https URL", { skip }, () => {
  const ref = `${tlsOpen.host}/extra-ca/app:1`;
  assert.equal(md(["tag", "local/app:1", ref]).status, 0);
  const extra = { NODE_EXTRA_CA_CERTS: cert.cert };
  const pushed = md(["push", ref], extra);
  assert.equal(pushed.status, 0, pushed.stderr);
  assert.equal(md(["rmi", ref]).status, 0);
  const pulled = md(["pull", "-q", ref], extra);
  assert.equal(pulled.status, 0, pulled.stderr);
  // A registry's own certs.d CA joins the caller's extra CAs, not replaces them.
  const otherCa = makeCertificate(work, "unrelated-ca");
  const certsD = path.join(work, "certs.d-unrelated");
  fs.mkdirSync(path.join(certsD, tlsOpen.host), { recursive: true });
  fs.copyFileSync(otherCa.cert, path.join(certsD, tlsOpen.host, "ca.crt"));
  fs.writeFileSync(path.join(work, "unrelated.json"), JSON.stringify({ "certs-d": [certsD] }));
  assert.equal(md(["rmi", ref]).status, 0);
  const both = md(["pull", "-q", ref], { ...extra, MYDOCKER_CONFIG_FILE: path.join(work, "unrelated.json") });
  assert.equal(both.status, 0, both.stderr);

  // The registry answers GET /v2/ with {}: the file a build downloads.
  const dockerfile = `FROM scratch\nADD https://${tlsOpen.host}/v2/ /v2.json\n`;
  const built = md(["build", "-q", "-t", "local/extra-ca", "-f", "-", work], extra, dockerfile);
  assert.equal(built.status, 0, built.stderr);
  const saved = md(["image", "inspect", "-f", "{{.Id}}", "local/extra-ca"]);
  assert.equal(saved.status, 0, saved.stderr);

  // Without it, both refuse the certificate, in one line each.
  const untrusted = md(["pull", ref], { NODE_EXTRA_CA_CERTS: "" });
  assert.equal(untrusted.status, 1);
  assert.match(untrusted.stderr, /certificate is not trusted/);
  const refused = md(["build", "-q", "-f", "-", work], { NODE_EXTRA_CA_CERTS: "" }, dockerfile);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, new RegExp(`failed to fetch https://${tlsOpen.host}/v2/: self[- ]signed certificate`));
  assert.equal(refused.stderr.trim().split("\n").length, 1, refused.stderr);
});

test("a registry that wants a client certificate gets certs.d's client.cert and client.key", { skip }, () => {
  const ref = `${tlsClient.host}/mtls/app:1`;
  assert.equal(md(["tag", "local/app:1", ref]).status, 0);
  const trusted = { MYDOCKER_CONFIG_FILE: trustingConfig(tlsClient.host) };
  const without = md(["push", "-q", ref], trusted);
  assert.equal(without.status, 1);
  assert.match(without.stderr, /bad certificate\): it wants a client certificate: put client.cert and client.key in \/etc\/docker\/certs.d\/127.0.0.1:\d+\//);
  assert.equal(without.stderr.trim().split("\n").length, 1, without.stderr);

  const dir = path.join(work, `certs.d-${tlsClient.host.replace(/:/g, "_")}`, tlsClient.host);
  makeClientCertificate(dir, cert, "client");
  const pushed = md(["push", ref], trusted);
  assert.equal(pushed.status, 0, pushed.stderr);
  assert.equal(md(["rmi", ref]).status, 0);
  const pulled = md(["pull", "-q", ref], trusted);
  assert.equal(pulled.status, 0, pulled.stderr);
});

test("login checks the password, keeps it in config.json, and logout forgets it", { skip }, () => {
  const trusted = { MYDOCKER_CONFIG_FILE: trustingConfig(tlsAuth.host) };
  const ref = `${tlsAuth.host}/private/app:1`;
  assert.equal(md(["tag", "local/app:1", ref]).status, 0);
  const anonymous = md(["push", ref], trusted);
  assert.equal(anonymous.status, 1);
  assert.match(anonymous.stderr, /unauthorized: authentication required/);

  const wrong = md(["login", "-u", "tester", "--password-stdin", tlsAuth.host], trusted, "wrong\n");
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /unauthorized: incorrect username or password/);
  assert.equal(fs.existsSync(path.join(work, "docker", "config.json")), false, "a failed login keeps nothing");

  const ok = md(["login", "-u", "tester", "--password-stdin", tlsAuth.host], trusted, "s3cret\n");
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /Login Succeeded/);
  const config = JSON.parse(fs.readFileSync(path.join(work, "docker", "config.json"), "utf8")) as { auths: Record<string, { auth: string }> };
  assert.equal(Buffer.from(config.auths[tlsAuth.host]!.auth, "base64").toString(), "tester:s3cret");
  assert.equal(fs.statSync(path.join(work, "docker", "config.json")).mode & 0o777, 0o600);

  const pushed = md(["push", ref], trusted);
  assert.equal(pushed.status, 0, pushed.stderr);
  assert.equal(md(["rmi", ref]).status, 0);
  const pulled = md(["pull", ref], trusted);
  assert.equal(pulled.status, 0, pulled.stderr);

  const out = md(["logout", tlsAuth.host]);
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, new RegExp(`Removing login credentials for ${tlsAuth.host}`));
  const after = md(["pull", ref], trusted);
  assert.equal(after.status, 1);
  assert.match(after.stderr, /unauthorized/);
});

test("podman's auth file and a docker credential helper give the login", { skip }, () => {
  const trusted = { MYDOCKER_CONFIG_FILE: trustingConfig(tlsAuth.host) };
  const ref = `${tlsAuth.host}/private/helper:1`;
  assert.equal(md(["tag", "local/app:1", ref]).status, 0);
  const authFile = path.join(work, "auth.json");
  fs.writeFileSync(authFile, JSON.stringify({ auths: { [tlsAuth.host]: { auth: Buffer.from("tester:s3cret").toString("base64") } } }));
  const viaPodman = md(["push", ref], { ...trusted, REGISTRY_AUTH_FILE: authFile });
  assert.equal(viaPodman.status, 0, viaPodman.stderr);

  // A helper keeping logins in a file of its own, as docker-credential-pass and friends do.
  const bin = path.join(work, "bin");
  fs.mkdirSync(bin, { recursive: true });
  const store = path.join(work, "helper-store");
  const helper = path.join(bin, "docker-credential-mdktest");
  fs.writeFileSync(helper, [
    "#!/bin/sh",
    `case "$1" in`,
    `store) cat > "${store}" ;;`,
    `get) read server; [ -s "${store}" ] && cat "${store}" || { echo "credentials not found in native keychain"; exit 1; } ;;`,
    `erase) read server; rm -f "${store}" ;;`,
    "esac",
    "",
  ].join("\n"), { mode: 0o755 });
  const dockerDir = path.join(work, "docker-helper");
  fs.mkdirSync(dockerDir, { recursive: true });
  fs.writeFileSync(path.join(dockerDir, "config.json"), JSON.stringify({ credHelpers: { [tlsAuth.host]: "mdktest" } }));
  const withHelper = { ...trusted, DOCKER_CONFIG: dockerDir, PATH: `${bin}:${process.env.PATH}` };
  assert.equal(md(["rmi", ref]).status, 0);
  const login = md(["login", "-u", "tester", "--password-stdin", tlsAuth.host], withHelper, "s3cret\n");
  assert.equal(login.status, 0, login.stderr);
  assert.equal((JSON.parse(fs.readFileSync(store, "utf8")) as { Secret: string }).Secret, "s3cret", "the helper stored it");
  assert.equal((JSON.parse(fs.readFileSync(path.join(dockerDir, "config.json"), "utf8")) as { auths?: unknown }).auths, undefined, "no password in config.json");
  const viaHelper = md(["pull", ref], withHelper);
  assert.equal(viaHelper.status, 0, viaHelper.stderr);
  assert.equal(md(["logout", tlsAuth.host], withHelper).status, 0);
  assert.equal(fs.existsSync(store), false, "the helper erased it");
});
