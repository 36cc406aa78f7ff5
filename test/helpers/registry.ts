// Debian's docker-registry on a free loopback port with its storage in a test's own
// directory: plain HTTP, or TLS with a certificate made by openssl, or htpasswd logins.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { waitFor } from "./wait.js";

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A self-signed certificate for 127.0.0.1 (its own CA): dir/cert.pem, dir/key.pem. */
export function makeCertificate(dir: string, name = "registry"): { cert: string; key: string } {
  const cert = path.join(dir, `${name}-cert.pem`);
  const key = path.join(dir, `${name}-key.pem`);
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", `/CN=mydocker-test-${name}`, "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-addext", "basicConstraints=critical,CA:TRUE"], { stdio: "ignore" });
  return { cert, key };
}

/** An htpasswd file with one user (bcrypt, as docker-registry requires; cost 4 keeps it fast). */
export function makeHtpasswd(file: string, user: string, password: string): void {
  const hash = execFileSync("python3", ["-W", "ignore", "-c", "import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))", password], { encoding: "utf8" }).trim();
  fs.writeFileSync(file, `${user}:${hash}\n`);
}

/** A client certificate signed by ca (a makeCertificate pair): dir/NAME.cert, dir/NAME.key, docker's certs.d names. */
export function makeClientCertificate(dir: string, ca: { cert: string; key: string }, name = "client"): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.cert`);
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  execFileSync("openssl", ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", `/CN=mydocker-test-${name}`], { stdio: "ignore" });
  execFileSync("openssl", ["x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial", "-out", cert, "-days", "1"], { stdio: "ignore" });
  return { cert, key };
}

export interface Registry {
  host: string;
  stop(): void;
}

/** tls.clientCa: only clients with a certificate that CA signed are served. */
export async function startRegistry(dir: string, opts: { tls?: { cert: string; key: string; clientCa?: string }; htpasswd?: string } = {}): Promise<Registry> {
  fs.mkdirSync(dir, { recursive: true });
  const host = `127.0.0.1:${await freePort()}`;
  const lines = ["version: 0.1", "log:\n  level: error", `storage:\n  filesystem:\n    rootdirectory: ${path.join(dir, "storage")}\n  delete:\n    enabled: true`, `http:\n  addr: ${host}`];
  if (opts.tls) lines.push(`  tls:\n    certificate: ${opts.tls.cert}\n    key: ${opts.tls.key}`);
  if (opts.tls?.clientCa) lines.push(`    clientcas:\n      - ${opts.tls.clientCa}`);
  if (opts.htpasswd) lines.push(`auth:\n  htpasswd:\n    realm: mydocker-test\n    path: ${opts.htpasswd}`);
  const config = path.join(dir, "registry.yml");
  fs.writeFileSync(config, lines.join("\n") + "\n");
  const child: ChildProcess = spawn("docker-registry", ["serve", config], { stdio: "ignore" });
  const [h, p] = host.split(":");
  const listening = () =>
    new Promise<boolean>((resolve) => {
      const s = net.connect(Number(p), h!, () => s.end(() => resolve(true)));
      s.on("error", () => resolve(false));
    });
  await waitFor(listening, { what: `docker-registry on ${host}`, intervalMs: 100 });
  return { host, stop: () => child.kill() };
}
