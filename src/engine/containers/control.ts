// stop, kill, wait, logs and exec of containers that run under their monitor.
import path from "node:path";
import { signalNumber, type ProcessHandle } from "../runtime/index.js";
import type { Process } from "../spec/runtime.js";
import { MydockerError } from "../util/errors.js";
import type { Engine } from "./engine.js";
import { readLogs, type LogEntry, type ReadLogsOptions } from "./logs.js";
import { containerDir } from "./paths.js";
import { allCapabilities } from "./spec-builder.js";
import { readLayeredFile } from "./image-files.js";
import { resolveUser } from "./user.js";

const POLL_MS = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isUp(engine: Engine, id: string): boolean {
  try {
    const s = engine.runtime.state(id).status;
    return s === "running" || s === "paused" || s === "created";
  } catch {
    return false;
  }
}

async function waitDown(engine: Engine, id: string, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (isUp(engine, id)) {
    if (Date.now() >= end) return false;
    await sleep(POLL_MS);
  }
  return true;
}

/** docker stop: the stop signal, then SIGKILL to every process of the container after the timeout. */
export async function stopContainer(engine: Engine, query: string, timeoutSec?: number): Promise<string> {
  const c = engine.resolve(query);
  if (!isUp(engine, c.id)) return c.id;
  const timeout = timeoutSec ?? c.config.StopTimeout ?? 10;
  engine.runtime.stopRestarts(c.id);
  if (c.state.status === "paused") await engine.runtime.resume(c.id);
  await engine.runtime.kill(c.id, c.config.StopSignal || "SIGTERM").catch(() => {});
  if (!(await waitDown(engine, c.id, timeout * 1000))) {
    await engine.runtime.kill(c.id, "SIGKILL", { all: true }).catch(() => {});
    await waitDown(engine, c.id, 10_000);
  }
  await engine.finish(c.id);
  return c.id;
}

/** docker kill: a signal (default SIGKILL) to the container's init. */
export async function killContainer(engine: Engine, query: string, signal = "SIGKILL"): Promise<string> {
  const c = engine.resolve(query);
  const num = signalNumber(signal);
  if (!isUp(engine, c.id)) {
    throw new MydockerError("ENOTRUNNING", `cannot kill container: ${query}: container ${c.id} is not running`);
  }
  // As in docker, a killed container counts as stopped by hand: its restart policy ends.
  engine.runtime.stopRestarts(c.id);
  await engine.runtime.kill(c.id, num);
  return c.id;
}

/** docker wait: blocks until the container stops, then gives its exit code. */
export async function waitContainer(engine: Engine, query: string): Promise<number> {
  const c = engine.resolve(query);
  while (isUp(engine, c.id)) await sleep(POLL_MS);
  const exit = (() => {
    try {
      return engine.runtime.state(c.id).exit;
    } catch {
      return undefined;
    }
  })();
  if (exit) return exit.exitCode;
  return engine.containers.get(c.id)?.state.exitCode ?? c.state.exitCode;
}

export function logPath(engine: Engine, id: string): string {
  return path.join(containerDir(engine.roots, id), "container.log");
}

/** docker logs: the container's output as it was written, optionally following it. */
export function containerLogs(engine: Engine, query: string, opts: Omit<ReadLogsOptions, "isRunning"> = {}): AsyncGenerator<LogEntry> {
  const c = engine.resolve(query);
  return readLogs(logPath(engine, c.id), { ...opts, isRunning: () => isUp(engine, c.id) });
}

export interface ExecRequest {
  cmd: string[];
  env?: string[];
  user?: string;
  workdir?: string;
  tty?: boolean;
  privileged?: boolean;
  detach?: boolean;
  interactive?: boolean;
}

/** docker exec: another process in all of the container's namespaces and its cgroup. */
export async function execInContainer(engine: Engine, query: string, req: ExecRequest): Promise<ProcessHandle> {
  const c = engine.resolve(query);
  if (c.state.status !== "running") {
    throw new MydockerError("ENOTRUNNING", `container ${c.id} is not running`);
  }
  if (req.cmd.length === 0) throw new MydockerError("EINVAL", "exec needs a command: mydocker exec CONTAINER COMMAND [ARG...]");
  const layers = engine.layerDirs(c);
  const readFile = (p: string) => readLayeredFile(layers, p);
  const base = engine.specFor(c, "/", layers).process!;
  const user = req.user !== undefined ? resolveUser(req.user, readFile) : undefined;
  const env = [...(base.env ?? [])];
  for (const e of req.env ?? []) {
    const k = e.split("=", 1)[0];
    const i = env.findIndex((x) => x.split("=", 1)[0] === k);
    if (i >= 0) env[i] = e;
    else env.push(e);
  }
  const proc: Process = {
    ...base,
    terminal: Boolean(req.tty),
    args: req.cmd,
    env,
    cwd: req.workdir ?? base.cwd,
    user: user ? { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids } : base.user,
  };
  if (req.privileged) {
    // As docker: every capability for this process, whatever the container was given.
    const all = allCapabilities();
    proc.capabilities = { bounding: all, effective: all, permitted: all, inheritable: [], ambient: [] };
  }
  return engine.runtime.exec(c.id, proc, { detach: req.detach, stdin: Boolean(req.interactive) });
}
