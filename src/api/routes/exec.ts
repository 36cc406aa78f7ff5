// Exec instances: create one on a container, start it (its stdio over the hijacked
// connection, or detached), inspect it for its exit code.
import { finished } from "node:stream/promises";
import { ApiError, readJson, sendEmpty, sendJson, terminalSize } from "../http.js";
import type { RequestContext, Router } from "../router.js";
import { bool, list, str, type Shape } from "../shapes/check.js";
import { MydockerError } from "../../util/errors.js";
import { MULTIPLEXED_STREAM, RAW_STREAM, outputStreams } from "../streams.js";

interface ExecCreateRequest {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  User?: string;
  WorkingDir?: string;
  Privileged?: boolean;
}

const execCreateShape: Shape<ExecCreateRequest> = {
  AttachStdin: bool,
  AttachStdout: bool,
  AttachStderr: bool,
  Tty: bool,
  Env: list(str, "string"),
  Cmd: list(str, "string"),
  User: str,
  WorkingDir: str,
  Privileged: bool,
};

async function create({ execs, req, res, params }: RequestContext): Promise<void> {
  const body = await readJson(req, "ExecOptions", execCreateShape);
  const inst = execs.create(params.id!, {
    cmd: body.Cmd ?? [],
    env: body.Env ?? [],
    user: body.User || undefined,
    workdir: body.WorkingDir || undefined,
    tty: Boolean(body.Tty),
    privileged: Boolean(body.Privileged),
    interactive: Boolean(body.AttachStdin),
  });
  sendJson(res, 201, { Id: inst.id });
}

async function start(ctx: RequestContext): Promise<void> {
  const { execs, req, res, params } = ctx;
  const body = await readJson(req, "ExecStartCheck", { Detach: bool, Tty: bool });
  const inst = execs.get(params.id!);
  if (body.Detach) {
    await execs.start(inst.id, true).catch((e: unknown) => {
      throw couldNotStart(e) ? new ApiError(400, startFailure(e)) : e;
    });
    return sendEmpty(res, 200);
  }
  execs.startable(inst.id);
  const tty = Boolean(inst.request.tty);
  // As dockerd: the stream is taken over first, so a process that cannot start is told on it,
  // and the client reads the exit code (126, 127) from exec inspect.
  const conn = ctx.hijack(tty ? RAW_STREAM : MULTIPLEXED_STREAM);
  const { stdout, stderr } = outputStreams(conn, tty, { stdout: true, stderr: true });
  let handle: Awaited<ReturnType<typeof execs.start>>;
  try {
    handle = await execs.start(inst.id, false);
  } catch (e) {
    conn.resume();
    stdout.write(`${startFailure(e)}\r\n`);
    conn.end();
    return;
  }
  const pipes = handle.pipes;
  if (!pipes) throw new ApiError(500, "the exec's stdio are not piped");
  pipes.stdout.pipe(stdout);
  pipes.stderr.pipe(stderr);
  if (inst.request.interactive) {
    // The client's half-close is the end of the process's input.
    conn.on("data", (d: Buffer) => pipes.stdin.write(d));
    conn.on("end", () => pipes.stdin.end());
  } else conn.resume();
  pipes.stdin.on("error", () => {});
  // The client went away: the process keeps running, as docker's does, without its output.
  conn.once("close", () => {
    pipes.stdout.unpipe(stdout);
    pipes.stderr.unpipe(stderr);
    pipes.stdout.resume();
    pipes.stderr.resume();
  });
  await Promise.all([finished(pipes.stdout).catch(() => {}), finished(pipes.stderr).catch(() => {})]);
  await handle.wait().catch(() => {});
  conn.end();
}

/** dockerd's words for an exec whose process could not start (runc's error, as containerd wraps it). */
function startFailure(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return couldNotStart(e) ? `OCI runtime exec failed: exec failed: unable to start container process: ${message}: unknown` : message;
}

const couldNotStart = (e: unknown): boolean => e instanceof MydockerError && (e.exitStatus === 126 || e.exitStatus === 127);

async function inspect({ execs, res, params }: RequestContext): Promise<void> {
  const i = execs.get(params.id!);
  sendJson(res, 200, {
    ID: i.id,
    ContainerID: i.containerId,
    Running: i.running,
    ExitCode: i.exitCode,
    Pid: i.pid,
    OpenStdin: Boolean(i.request.interactive),
    OpenStdout: true,
    OpenStderr: true,
    CanRemove: !i.running && i.started,
    ProcessConfig: {
      tty: Boolean(i.request.tty),
      entrypoint: i.request.cmd[0],
      arguments: i.request.cmd.slice(1),
      privileged: Boolean(i.request.privileged),
      user: i.request.user ?? "",
    },
  });
}

async function resize({ execs, res, params, query }: RequestContext): Promise<void> {
  const { h, w } = terminalSize(query);
  await execs.resize(params.id!, h, w);
  sendEmpty(res, 200);
}

export function execRoutes(r: Router): void {
  r.post("/containers/:id/exec", create).post("/exec/:id/start", start).get("/exec/:id/json", inspect).post("/exec/:id/resize", resize);
}
