// A `mydocker serve` of a suite's own, on a socket in its own roots, and the real docker
// CLI pointed at it.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { after, before } from "node:test";
import { BIN, isRoot, NOT_ROOT, tempRoots, type Roots } from "./cli.js";
import { waitFor } from "./wait.js";

export interface Served {
  roots: Roots;
  socket: string;
  /** DOCKER_HOST and the roots' variables. */
  env: NodeJS.ProcessEnv;
  daemon: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

export function dockerCli(): string | undefined {
  const r = spawnSync("docker", ["--version"], { encoding: "utf8" });
  return r.status === 0 ? "docker" : undefined;
}

/**
 * A suite's own daemon, started before its tests (then setup runs) and stopped after them
 * (with cleanup run first, for what the suite made outside the daemon's roots). skip says why the suite cannot
 * run: not root, or no docker CLI when it drives the daemon with one.
 */
export function servedSuite(
  opts: { dockerCli?: boolean; args?: string[]; setup?: (s: Served) => void | Promise<void>; cleanup?: (s: Served) => void | Promise<void> } = {},
): { skip: string | false; served: () => Served } {
  const skip = !isRoot() ? NOT_ROOT : opts.dockerCli !== false && !dockerCli() ? "the docker CLI is not installed (Debian's docker.io provides it)" : false;
  let s: Served | undefined;
  before(async () => {
    if (skip) return;
    s = await serve(opts.args);
    await opts.setup?.(s);
  });
  after(async () => {
    if (!s) return;
    await opts.cleanup?.(s);
    await s.stop();
  });
  return {
    skip,
    served: () => {
      if (!s) throw new Error("the suite's daemon is not running");
      return s;
    },
  };
}

export async function serve(extraArgs: string[] = []): Promise<Served> {
  const roots = tempRoots("mydocker-api-");
  const socket = path.join(path.dirname(roots.root), "docker.sock");
  const daemon = spawn(BIN, ["serve", "-H", `unix://${socket}`, ...extraArgs], { env: roots.env, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  daemon.stderr!.on("data", (d: Buffer) => (log += d));
  const exited = new Promise<void>((resolve) => daemon.once("exit", () => resolve()));
  await waitFor(() => log.includes("API listening") || daemon.exitCode !== null, { what: "the daemon to listen" });
  if (daemon.exitCode !== null) throw new Error(`mydocker serve did not start: ${log}`);
  const env = { ...roots.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: path.join(path.dirname(roots.root), "docker-config") };
  return {
    roots,
    socket,
    env,
    daemon,
    log: () => log,
    async stop() {
      if (daemon.exitCode === null) daemon.kill("SIGTERM");
      await exited;
      roots.cleanup();
      fs.rmSync(socket, { force: true });
    },
  };
}

export interface DockerResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the docker CLI against the served daemon. */
export function docker(s: Served, args: string[], opts: { input?: string; timeout?: number } = {}): DockerResult {
  const r = spawnSync("docker", args, { env: s.env, input: opts.input ?? "", encoding: "utf8", timeout: opts.timeout ?? 60_000, killSignal: "SIGKILL" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The docker CLI in the background, for follow and attach. */
export function dockerAsync(s: Served, args: string[]) {
  const child = spawn("docker", args, { env: s.env, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d));
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  const done = new Promise<DockerResult>((resolve) => child.on("close", (status) => resolve({ status, stdout, stderr })));
  return { child, done, out: () => stdout };
}

/** One request to the served daemon's API: its status and its body (parsed when JSON). */
export function api(s: Served, method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = payload === undefined ? {} : { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) };
    const req = http.request({ socketPath: s.socket, method, path: p, headers }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c));
      res.on("end", () => {
        const json = (res.headers["content-type"] ?? "").includes("json") && text !== "";
        resolve({ status: res.statusCode!, body: json ? JSON.parse(text) : text });
      });
    });
    req.on("error", reject);
    req.end(payload);
  });
}
