// A `mydocker serve` of a suite's own, on a socket in its own roots, and the real docker
// CLI pointed at it.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { BIN, tempRoots, type Roots } from "./cli.js";
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

export async function serve(extraArgs: string[] = []): Promise<Served> {
  const roots = tempRoots("mydocker-api-");
  const socket = path.join(path.dirname(roots.root), "docker.sock");
  const daemon = spawn(process.execPath, ["--", BIN, "serve", "-H", `unix://${socket}`, ...extraArgs], { env: roots.env, stdio: ["ignore", "ignore", "pipe"] });
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
