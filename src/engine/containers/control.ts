// stop, kill, wait, logs and exec of containers that run under their monitor.
import { randomBytes } from "node:crypto";
import path from "node:path";
import { signalNumber, type ProcessHandle } from "../../runtime/index.js";
import type { Process } from "../../spec/runtime.js";
import { MydockerError } from "../../util/errors.js";
import type { ContainerContext } from "./context.js";
import type { ContainerRecord } from "../container-store.js";
import { checkLogsReadable } from "../host-options/log-config.js";
import { readLogs, type LogEntry, type ReadLogsOptions } from "../logs.js";
import { containerDir } from "../paths.js";
import { allCapabilities } from "../spec-builder.js";
import { checkWorkdir } from "../container-factory.js";
import { readLayeredFile } from "../image-files.js";
import { resolveUser } from "../user.js";
import { containerEvent } from "../events/actors.js";
import { endRestarts } from "./restart-policy.js";
import { AttachSession, type AttachIo } from "../attach.js";

const POLL_MS = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isUp(ctx: ContainerContext, id: string): boolean {
  try {
    const s = ctx.runtime.state(id).status;
    return s === "running" || s === "paused" || s === "created";
  } catch {
    return false;
  }
}

async function waitDown(ctx: ContainerContext, id: string, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (isUp(ctx, id)) {
    if (Date.now() >= end) return false;
    await sleep(POLL_MS);
  }
  return true;
}

/** As docker's daemon: a loaded image's stop signal that is no signal (nothing checked it) means SIGTERM, so stop still stops. */
function stopSignalOf(configured: string): string {
  try {
    signalNumber(configured);
    return configured;
  } catch {
    return "SIGTERM";
  }
}

/** docker stop: the stop signal, then SIGKILL to every process of the container after the timeout. */
export async function stopContainer(ctx: ContainerContext, query: string, timeoutSec?: number): Promise<string> {
  const c = ctx.reconciler.resolve(query);
  if (!isUp(ctx, c.id)) return c.id;
  const timeout = timeoutSec ?? c.config.StopTimeout ?? 10;
  endRestarts(ctx, c.id);
  if (c.state.status === "paused") await ctx.runtime.resume(c.id);
  const signal = stopSignalOf(c.config.StopSignal);
  ctx.events.record(containerEvent(c, "kill", { signal: String(signalNumber(signal)) }));
  await ctx.runtime.kill(c.id, signal).catch(() => {});
  if (!(await waitDown(ctx, c.id, timeout * 1000))) {
    ctx.events.record(containerEvent(c, "kill", { signal: "9" }));
    await ctx.runtime.kill(c.id, "SIGKILL", { all: true }).catch(() => {});
    await waitDown(ctx, c.id, 10_000);
  }
  await ctx.reconciler.finish(c.id);
  ctx.events.record(containerEvent(c, "stop"));
  return c.id;
}

/** docker kill: a signal (default SIGKILL) to the container's init. */
export async function killContainer(ctx: ContainerContext, query: string, signal = "SIGKILL"): Promise<string> {
  const c = ctx.reconciler.resolve(query);
  const num = signalNumber(signal);
  if (!isUp(ctx, c.id)) {
    throw new MydockerError("ENOTRUNNING", `cannot kill container: ${query}: container ${c.id} is not running`);
  }
  // As in docker, a killed container counts as stopped by hand: its restart policy ends.
  endRestarts(ctx, c.id);
  await ctx.runtime.kill(c.id, num);
  ctx.events.record(containerEvent(c, "kill", { signal: String(num) }));
  return c.id;
}

export { waitForCondition, type WaitCondition } from "./wait.js";

export function logPath(ctx: ContainerContext, id: string): string {
  return path.join(containerDir(ctx.roots, id), "container.log");
}

/** docker logs: the container's output as it was written, optionally following it. */
export function containerLogs(ctx: ContainerContext, query: string, opts: Omit<ReadLogsOptions, "isRunning"> = {}): AsyncGenerator<LogEntry> {
  const c = ctx.reconciler.resolve(query);
  checkLogsReadable(c.hostConfig.LogConfig);
  return readLogs(logPath(ctx, c.id), { ...opts, isRunning: () => isUp(ctx, c.id) });
}

export interface ExecRequest {
  /** docker's exec ID (the API's exec instance): made here when not given. */
  id?: string;
  cmd: string[];
  env?: string[];
  user?: string;
  workdir?: string;
  tty?: boolean;
  privileged?: boolean;
  detach?: boolean;
  interactive?: boolean;
  /** The process's stdio are pipes to the caller (the API), not the caller's own stdio. */
  pipe?: boolean;
  /** With tty: the process's terminal is served by its monitor, this client attached (its detach keys leave the process running). */
  attach?: AttachIo;
}

/** An exec's process; with ExecRequest.attach, the client attached to its terminal. */
export type ExecHandle = ProcessHandle & { session?: AttachSession };

/** Whether a process can be run in the container now, as docker's exec create and start ask. */
export function checkExecTarget(c: ContainerRecord): void {
  if (c.state.status === "paused") throw new MydockerError("EPAUSED", `Container ${c.id} is paused, unpause the container before exec`);
  if (c.state.status === "restarting") throw new MydockerError("ENOTRUNNING", restartingMessage(c));
  if (c.state.status !== "running") throw new MydockerError("ENOTRUNNING", `container ${c.id} is not running`);
}

/** docker's words for a container between two runs of its restart policy. */
export const restartingMessage = (c: ContainerRecord): string => `Container ${c.id} is restarting, wait until the container is running`;

/** docker exec: another process in all of the container's namespaces and its cgroup. */
/** exitCommand: what a detached exec's monitor runs once the process ended (ExecExits.exited). */
/** docker looks an exec's user up as its process starts: an unknown user is a process that could not start, 126. */
function execUser(user: string, readFile: (p: string) => string | undefined): ReturnType<typeof resolveUser> {
  try {
    return resolveUser(user, readFile);
  } catch (e) {
    throw e instanceof MydockerError ? new MydockerError(e.code, e.message, 126) : e;
  }
}

export async function execInContainer(ctx: ContainerContext, query: string, req: ExecRequest, exitCommand?: (id: string, execId: string) => string[]): Promise<ExecHandle> {
  const c = ctx.reconciler.resolve(query);
  checkExecTarget(c);
  if (req.cmd.length === 0) throw new MydockerError("EINVAL", "exec needs a command: mydocker exec CONTAINER COMMAND [ARG...]");
  checkWorkdir(req.workdir);
  const layers = ctx.view.layerDirs(c);
  const readFile = (p: string) => readLayeredFile(layers, p);
  const base = ctx.view.specFor(c, "/", layers).process!;
  const user = req.user !== undefined ? execUser(req.user, readFile) : undefined;
  const env = [...(base.env ?? [])];
  for (const e of req.env ?? []) {
    const k = e.split("=", 1)[0];
    const i = env.findIndex((x) => x.split("=", 1)[0] === k);
    // As dockerd's ReplaceOrAppendEnvValues: a NAME without a value (docker exec -e NAME,
    // unset where the client runs) takes NAME out of the process's environment.
    if (!e.includes("=")) {
      if (i >= 0) env.splice(i, 1);
    } else if (i >= 0) env[i] = e;
    else env.push(e);
  }
  // As docker: a terminal comes with a TERM, unless one was given.
  if (req.tty && !env.some((e) => e.startsWith("TERM="))) env.push("TERM=xterm");
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
    // It may change the container's network namespace: not given to another container after it.
    ctx.network.forgoReuse(c.id);
  }
  const execID = req.id ?? randomBytes(32).toString("hex");
  const line = req.cmd.join(" ");
  ctx.events.record(containerEvent(c, `exec_create: ${line}`, { execID }));
  // Piped stdio come as three pipes or none: without -i the process reads the end of its stdin at once.
  let session: Promise<AttachSession> | undefined;
  const io = req.tty && !req.detach ? req.attach : undefined;
  const socket = io && ctx.runtime.execAttachSocket(c.id, execID.slice(0, 12));
  const attach = socket
    ? {
        socket,
        onPid: async () => {
          // The monitor takes input once the process's terminal is there: after the exec.
          const client = AttachSession.open(socket, { ...io!, inputLater: true });
          session = client.session;
          await client.connected;
        },
      }
    : undefined;
  // A monitor that outlives its caller (detached, or attached: the client may leave with its
  // detach keys) records the process's end itself, with or without anyone waiting.
  const byMonitor = req.detach || attach !== undefined;
  const ended = byMonitor ? { exitFile: ctx.runtime.execExitFile(c.id, execID), exitCommand: exitCommand?.(c.id, execID) } : {};
  const handle = await ctx.runtime.exec(c.id, proc, { detach: req.detach, stdin: Boolean(req.interactive || req.pipe), pipe: req.pipe, attach, ...ended }).catch((e: unknown) => {
    // docker exec: a process that could not be started (its setup failed) is 126, as one it cannot execute.
    throw e instanceof MydockerError && e.exitStatus === 125 && e.code === "container-setup" ? new MydockerError(e.code, e.message, 126) : e;
  });
  if (handle.pipes && !req.interactive) handle.pipes.stdin.end();
  const attached = session && (await session);
  attached?.takeInput();
  ctx.events.record(containerEvent(c, `exec_start: ${line}`, { execID }));
  if (req.detach) return handle;
  // Waited for by more than one caller (the API's exec start and its exec inspect): one exec_die.
  let waited: ReturnType<typeof handle.wait> | undefined;
  return {
    ...handle,
    session: attached,
    signal: (sig) => handle.signal(sig),
    wait: () =>
      (waited ??= handle.wait().then((exit) => {
        if (!byMonitor) ctx.events.record(containerEvent(c, "exec_die", { execID, exitCode: String(exit.exitCode) }));
        return exit;
      })),
  };
}
