// A container's streams: attach (the hijacked connection), wait, logs, resize and export.
import { PassThrough, type Duplex } from "node:stream";
import { AttachSession } from "../../engine/attach.js";
import { formatLogLine, parseTail } from "../../engine/logs.js";
import { parseDockerTime, type UnixNanos } from "../../engine/timestamps.js";
import { parseWaitCondition } from "../../engine/containers/wait.js";
import { ApiError, flag, sendEmpty, terminalSize } from "../http.js";
import type { RequestContext, Router } from "../router.js";
import { MULTIPLEXED_STREAM, RAW_STREAM, frame, outputStreams, writeWaiting } from "../streams.js";

/** What the logs of a container hold up to now (attach's logs=1), onto conn. */
async function replayLogs(ctx: RequestContext, id: string, conn: Duplex, raw: boolean, want: { stdout: boolean; stderr: boolean }, until?: UnixNanos): Promise<void> {
  for await (const e of ctx.engine.logs(id, { signal: ctx.signal, until })) {
    if (!want[e.stream]) continue;
    await writeWaiting(conn, raw ? e.text : frame(e.stream === "stderr" ? 2 : 1, e.text));
  }
}

/**
 * attach over conn: the logs (logs=1), then the live streams (stream=1) until the container ends
 * or the client leaves. The live output is held back while the logs replay: the session is in
 * place before they are read, so a line written between the two reaches the client.
 */
async function attachOn(ctx: RequestContext, conn: Duplex, raw: boolean): Promise<void> {
  const { engine, params, query } = ctx;
  const c = engine.resolve(params.id!);
  const want = { stdout: flag(query, "stdout"), stderr: flag(query, "stderr") };
  const withStdin = flag(query, "stdin") && c.config.OpenStdin;
  const replay = flag(query, "logs") ? (until?: UnixNanos) => replayLogs(ctx, c.id, conn, raw, want, until) : undefined;
  const live = new PassThrough();
  conn.once("close", () => live.destroy());
  let flowing = false;
  try {
    if (!flag(query, "stream")) {
      await replay?.();
      return;
    }
    if (conn.destroyed) return;
    if (!withStdin) conn.resume();
    const { stdout, stderr } = outputStreams(live, raw, want);
    const session = await engine.attach(c.id, { stdout, stderr, stdin: withStdin ? conn : undefined, tty: c.config.Tty }, { atStart: true, signal: ctx.signal, replay });
    // Ends conn once the held-back output is through.
    live.pipe(conn);
    flowing = true;
    // The client went away (maybe while the session was being made): its session lets go of
    // the container, which runs on.
    const onClose = () => session.detach();
    if (conn.destroyed) onClose();
    else conn.once("close", onClose);
    await session.done;
    conn.off("close", onClose);
  } finally {
    if (flowing) live.end();
    else conn.end();
  }
}

async function attach(ctx: RequestContext): Promise<void> {
  const tty = ctx.engine.resolve(ctx.params.id!).config.Tty;
  await attachOn(ctx, ctx.hijack(tty ? RAW_STREAM : MULTIPLEXED_STREAM), tty);
}

/** attach/ws: the same streams as websocket messages, never multiplexed (as dockerd). */
async function attachWebSocket(ctx: RequestContext): Promise<void> {
  ctx.engine.resolve(ctx.params.id!);
  await attachOn(ctx, await ctx.websocket(), true);
}

async function wait(ctx: RequestContext): Promise<void> {
  const { engine, params, query, res } = ctx;
  const condition = parseWaitCondition(query.get("condition") ?? undefined);
  const id = engine.resolve(params.id!).id;
  // As dockerd: the headers go at once, the body when the condition holds, so a client can
  // start the container after it knows its wait is in place.
  res.writeHead(200, { "Content-Type": "application/json" });
  res.flushHeaders();
  try {
    const code = await engine.wait(id, condition, ctx.signal);
    res.end(JSON.stringify({ StatusCode: code, Error: null }));
  } catch (e) {
    if (ctx.signal.aborted) return;
    res.end(JSON.stringify({ StatusCode: -1, Error: { Message: (e as Error).message } }));
  }
}

function timeParam(value: string | null): bigint | undefined {
  if (value === null || value === "" || value === "0") return undefined;
  return parseDockerTime(value);
}

async function logs(ctx: RequestContext): Promise<void> {
  const { engine, params, query, res } = ctx;
  const c = engine.resolve(params.id!);
  const want = { stdout: flag(query, "stdout"), stderr: flag(query, "stderr") };
  if (!want.stdout && !want.stderr) throw new ApiError(400, "you must choose at least one stream: stdout=1 or stderr=1");
  const tty = c.config.Tty;
  const entries = engine.logs(c.id, {
    follow: flag(query, "follow"),
    tail: parseTail(query.get("tail") ?? "all"),
    since: timeParam(query.get("since")),
    until: timeParam(query.get("until")),
    signal: ctx.signal,
  });
  res.writeHead(200, { "Content-Type": tty ? RAW_STREAM : MULTIPLEXED_STREAM });
  res.flushHeaders();
  const timestamps = flag(query, "timestamps");
  for await (const e of entries) {
    if (!want[e.stream]) continue;
    const line = formatLogLine(e, timestamps);
    await writeWaiting(res, tty ? line : frame(e.stream === "stderr" ? 2 : 1, line));
  }
  res.end();
}

async function resize(ctx: RequestContext): Promise<void> {
  const { engine, params, query, res } = ctx;
  const { h, w } = terminalSize(query);
  const c = engine.resolve(params.id!);
  if (c.state.status !== "running" && c.state.status !== "paused") throw new ApiError(409, `container ${c.id} is not running`);
  await AttachSession.resizeTerminal(engine.runtime.attachSocket(c.id), h, w);
  sendEmpty(res, 200);
}

async function exportContainer(ctx: RequestContext): Promise<void> {
  const { engine, params, res } = ctx;
  const id = engine.resolve(params.id!).id;
  res.writeHead(200, { "Content-Type": "application/x-tar" });
  await engine.export(id, res);
  res.end();
}

export function containerIoRoutes(r: Router): void {
  r.post("/containers/:id/attach", attach)
    .get("/containers/:id/attach/ws", attachWebSocket)
    .post("/containers/:id/wait", wait)
    .get("/containers/:id/logs", logs)
    .post("/containers/:id/resize", resize)
    .get("/containers/:id/export", exportContainer);
}
