// Logins kept where docker and podman keep them: docker's config.json (`auths` with a
// base64 "user:password", or a credential helper named by `credsStore`/`credHelpers`) and
// podman's auth.json (REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { MydockerError } from "../../util/errors.js";
import { readJsonObject } from "../../util/json-file.js";

export interface Credentials {
  username: string;
  password: string;
}

/** The parts of docker's config.json (and podman's auth.json) about logins. */
export interface AuthFile {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [other: string]: unknown;
}

/** Where logins are read from and written to; every field defaults from the environment. */
export interface AuthLocations {
  /** podman's --authfile: the only file read and written. */
  authFile?: string;
}

/** docker keeps Docker Hub's login under its old index URL. */
function keyOf(domain: string): string {
  return domain === "docker.io" ? "https://index.docker.io/v1/" : domain;
}

/** "https://host/v2/" and "host" name the same registry in an auths table. */
function sameRegistry(key: string, domain: string): boolean {
  const bare = key.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  return key === keyOf(domain) || bare === domain || (domain === "docker.io" && (bare === "index.docker.io" || bare === "registry-1.docker.io"));
}

export function dockerConfigFile(): string {
  return path.join(process.env.DOCKER_CONFIG || path.join(os.homedir(), ".docker"), "config.json");
}

function podmanAuthFile(): string | undefined {
  if (process.env.REGISTRY_AUTH_FILE) return process.env.REGISTRY_AUTH_FILE;
  const runtime = process.env.XDG_RUNTIME_DIR || (process.getuid?.() === 0 ? "/run" : undefined);
  return runtime && path.join(runtime, "containers", "auth.json");
}

function readAuthFile(file: string): AuthFile {
  return readJsonObject(file) as AuthFile;
}

/** Replaces file with data in one rename, readable by its owner only (it holds passwords). */
function writeAuthFile(file: string, data: AuthFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(data, null, "\t") + "\n", { mode: 0o600 });
  fs.renameSync(tmp, file);
}

function helperName(name: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new MydockerError("config_error", `invalid credential helper name "${name}"`);
  return `docker-credential-${name}`;
}

/** Runs `docker-credential-NAME verb` with input on stdin; its stdout, or undefined when it knows nothing of the registry. */
function runHelper(name: string, verb: "get" | "store" | "erase", input: string): string | undefined {
  const program = helperName(name);
  const r = spawnSync(program, [verb], { input, encoding: "utf8", timeout: 30_000 });
  if (r.error) throw new MydockerError("credential_helper", `${program} ${verb}: ${(r.error as NodeJS.ErrnoException).code === "ENOENT" ? "not found in PATH" : r.error.message}`);
  const out = r.stdout.trim();
  if (r.status !== 0) {
    if (verb !== "store" && /credentials not found/i.test(out + r.stderr)) return undefined;
    throw new MydockerError("credential_helper", `${program} ${verb}: ${(out || r.stderr.trim() || `exit status ${r.status}`).split("\n")[0]}`);
  }
  return out;
}

function fromAuths(data: AuthFile, domain: string, file: string): Credentials | undefined {
  for (const [key, entry] of Object.entries(data.auths ?? {})) {
    if (!sameRegistry(key, domain) || typeof entry?.auth !== "string" || entry.auth === "") continue;
    const decoded = Buffer.from(entry.auth, "base64").toString();
    const colon = decoded.indexOf(":");
    if (colon < 0) throw new MydockerError("config_error", `${file}: the login for ${key} is not base64 of "user:password"`);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return undefined;
}

function helperFor(data: AuthFile, domain: string): string | undefined {
  const own = Object.entries(data.credHelpers ?? {}).find(([key]) => sameRegistry(key, domain));
  return own?.[1] ?? data.credsStore;
}

function fromHelper(name: string, domain: string): Credentials | undefined {
  const out = runHelper(name, "get", keyOf(domain));
  if (!out) return undefined;
  const reply = JSON.parse(out) as { Username?: string; Secret?: string };
  if (typeof reply.Username !== "string" || typeof reply.Secret !== "string") throw new MydockerError("credential_helper", `${helperName(name)} get: an answer without Username and Secret`);
  return { username: reply.Username, password: reply.Secret };
}

/** The stored login for domain, looked up as docker then podman do; undefined when there is none. */
export function storedCredentials(domain: string, where: AuthLocations = {}): Credentials | undefined {
  if (where.authFile !== undefined) return fromAuths(readAuthFile(where.authFile), domain, where.authFile);
  const docker = dockerConfigFile();
  const data = readAuthFile(docker);
  const helper = helperFor(data, domain);
  const found = (helper ? fromHelper(helper, domain) : undefined) ?? fromAuths(data, domain, docker);
  if (found) return found;
  const podman = podmanAuthFile();
  return podman ? fromAuths(readAuthFile(podman), domain, podman) : undefined;
}

/** Keeps a login (in the credential helper config.json names, else in config.json); returns where. */
export function storeCredentials(domain: string, creds: Credentials, where: AuthLocations = {}): string {
  const file = where.authFile ?? dockerConfigFile();
  const data = readAuthFile(file);
  const helper = where.authFile === undefined ? helperFor(data, domain) : undefined;
  if (helper) {
    runHelper(helper, "store", JSON.stringify({ ServerURL: keyOf(domain), Username: creds.username, Secret: creds.password }));
    return helperName(helper);
  }
  const auths = { ...data.auths };
  for (const key of Object.keys(auths)) if (sameRegistry(key, domain)) delete auths[key];
  auths[keyOf(domain)] = { auth: Buffer.from(`${creds.username}:${creds.password}`).toString("base64") };
  writeAuthFile(file, { ...data, auths });
  return file;
}

/** Forgets the login for domain everywhere it is kept; false when there was none. */
export function eraseCredentials(domain: string, where: AuthLocations = {}): boolean {
  const files = where.authFile !== undefined ? [where.authFile] : [dockerConfigFile(), podmanAuthFile()].filter((f): f is string => f !== undefined);
  let erased = false;
  for (const file of files) {
    const data = readAuthFile(file);
    const helper = where.authFile === undefined && file === dockerConfigFile() ? helperFor(data, domain) : undefined;
    if (helper && runHelper(helper, "erase", keyOf(domain)) !== undefined) erased = true;
    const keys = Object.keys(data.auths ?? {}).filter((k) => sameRegistry(k, domain));
    if (keys.length === 0) continue;
    const auths = { ...data.auths };
    for (const k of keys) delete auths[k];
    writeAuthFile(file, { ...data, auths });
    erased = true;
  }
  return erased;
}
