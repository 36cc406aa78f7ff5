// `mydocker serve`: the Docker Engine API over HTTP on unix sockets and loopback (or TLS)
// TCP, as dockerd serves it. Each request is routed to a thin handler over the Engine; a
// handler that waits (wait, logs -f, attach) holds only its own request.
import fs from "node:fs";
import path from "node:path";
import http, { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import net from "node:net";
import { Duplex } from "node:stream";
import type { Engine } from "../engine/engine.js";
import { ExecSessions } from "../engine/containers/exec-sessions.js";
import { MydockerError } from "../util/errors.js";
import { ApiError, sendError, setUpgradeBody } from "./http.js";
import { acceptWebSocket } from "./websocket.js";
import { Router, type RequestContext } from "./router.js";
import { API_VERSION, splitVersion } from "./version.js";
import { parseHost, type Listener } from "./listen.js";
import { systemRoutes } from "./routes/system.js";
import { containerRoutes } from "./routes/containers.js";
import { containerIoRoutes } from "./routes/container-io.js";
import { execRoutes } from "./routes/exec.js";
import { archiveRoutes } from "./routes/archive.js";
import { statsRoutes } from "./routes/stats.js";
import { imageRoutes } from "./routes/images.js";
import { buildRoutes } from "./routes/build.js";
import { volumeRoutes } from "./routes/volumes.js";
import { networkRoutes } from "./routes/networks.js";

const MAX_UPGRADE_BODY = 1024 * 1024;

export interface ServeOptions {
  /** unix:///path or tcp://host:port, as many as wanted. */
  hosts: string[];
  /** The group that may use the unix sockets (mode 0660). */
  group?: string;
  tls?: { cert: string; key: string; ca?: string };
  debug?: (msg: string) => void;
}

/**
 * A page whose name its DNS rebinds to 127.0.0.1 reads a loopback listener as its own origin,
 * with no Origin header on its GETs; its requests still name its host. Plain TCP (loopback
 * only, as listen refuses the rest without TLS) answers only an address or localhost.
 */
function hostAllowed(socket: net.Socket, host: string | undefined): boolean {
  if (socket.remoteAddress === undefined || (socket as net.Socket & { encrypted?: boolean }).encrypted) return true;
  const name = (host ?? "").replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return net.isIP(name) !== 0 || name === "localhost" || name.endsWith(".localhost");
}

export class ApiServer {
  private readonly router = new Router();
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly debug: (msg: string) => void;
  private readonly execs: ExecSessions;

  constructor(
    private readonly engine: Engine,
    private readonly opts: ServeOptions,
  ) {
    this.debug = opts.debug ?? (() => {});
    this.execs = new ExecSessions(
      (q) => engine.resolve(q),
      (id, req) => engine.exec(id, req),
      (id, execId) => engine.execExits.exitCode(id, execId),
    );
    for (const add of [systemRoutes, containerRoutes, containerIoRoutes, archiveRoutes, statsRoutes, execRoutes, imageRoutes, buildRoutes, volumeRoutes, networkRoutes]) add(this.router);
  }

  /** Starts every listener; refuses a TCP one off loopback without TLS. Resolves with where each listens. */
  async listen(): Promise<string[]> {
    const listeners = this.opts.hosts.map((h) => parseHost(h, Boolean(this.opts.tls)));
    const where: string[] = [];
    for (const l of listeners) where.push(await this.listenOn(l));
    return where;
  }

  private makeServer(tcp: boolean): http.Server {
    const tls = this.opts.tls;
    const server =
      tcp && tls
        ? https.createServer({
            cert: fs.readFileSync(tls.cert),
            key: fs.readFileSync(tls.key),
            ...(tls.ca ? { ca: fs.readFileSync(tls.ca), requestCert: true, rejectUnauthorized: true } : {}),
          })
        : http.createServer();
    // Long waits and streams are normal here: no request times out on its own.
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    server.keepAliveTimeout = 60_000;
    server.on("request", (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res));
    server.on("upgrade", (req: IncomingMessage, socket: net.Socket, head: Buffer) => {
      // A client that resets its hijacked connection ends its own stream, never the daemon.
      socket.on("error", () => socket.destroy());
      void takeUpgradeBody(req, socket, head).then(
        () => {
          const res = new ServerResponse(req);
          res.assignSocket(socket);
          res.shouldKeepAlive = false;
          res.on("finish", () => socket.end());
          void this.handle(req, res, socket);
        },
        () => socket.destroy(),
      );
    });
    server.on("connection", (s: net.Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    server.on("clientError", (_e, socket: net.Socket) => socket.destroy());
    return server;
  }

  private async listenOn(l: Listener): Promise<string> {
    const server = this.makeServer(l.kind === "tcp");
    if (l.kind === "unix") {
      // A socket left by a daemon that died is replaced; any other file is not ours to remove.
      const st = fs.lstatSync(l.path, { throwIfNoEntry: false });
      if (st?.isSocket()) fs.unlinkSync(l.path);
      else if (st) throw new MydockerError("EEXIST", `${l.path} exists and is not a socket: remove it or choose another --host`);
      // As dockerd does for /run/docker.sock: the default /run/mydocker does not exist on a fresh machine.
      fs.mkdirSync(path.dirname(l.path), { recursive: true, mode: 0o755 });
    }
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      if (l.kind === "unix") server.listen(l.path, resolve);
      else server.listen(l.port, l.address, resolve);
    });
    this.servers.push(server);
    if (l.kind === "unix") {
      fs.chmodSync(l.path, 0o660);
      if (this.opts.group !== undefined) fs.chownSync(l.path, 0, groupId(this.opts.group));
      return `unix://${l.path}`;
    }
    const a = server.address() as net.AddressInfo;
    return `tcp://${a.address}:${a.port}`;
  }

  /** Stops listening and ends every connection; containers run on under their monitors. */
  async close(): Promise<void> {
    const closed = this.servers.map((s) => new Promise<void>((r) => s.close(() => r())));
    for (const s of this.sockets) s.destroy();
    await Promise.all(closed);
    this.servers.length = 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, upgraded?: net.Socket): Promise<void> {
    const abort = new AbortController();
    const socket = upgraded ?? req.socket;
    const onClose = () => abort.abort();
    socket.once("close", onClose);
    res.once("close", onClose);
    res.setHeader("Api-Version", API_VERSION);
    res.setHeader("Docker-Experimental", "false");
    res.setHeader("Ostype", "linux");
    res.setHeader("Server", `mydocker (linux)`);
    try {
      const url = new URL(req.url ?? "/", "http://localhost");
      const { path, version } = splitVersion(url.pathname);
      // A web page can send requests (and open websockets) to a loopback port; a browser
      // always names the page's origin, the docker clients never do.
      if (req.headers.origin !== undefined) throw new ApiError(403, `requests from web pages (Origin: ${req.headers.origin}) are refused: the Docker API is for local clients`);
      if (!hostAllowed(socket, req.headers.host)) throw new ApiError(403, `requests for host ${req.headers.host} are refused on a loopback listener: use 127.0.0.1 or localhost`);
      const found = this.router.match(req.method ?? "GET", path);
      if (found === "method") throw new ApiError(405, `method ${req.method} is not allowed on ${path}`);
      if (!found) throw new ApiError(404, `page not found: ${req.method} ${path}`);
      const ctx: RequestContext = {
        req,
        res,
        params: found.params,
        query: url.searchParams,
        engine: this.engine,
        execs: this.execs,
        version,
        signal: abort.signal,
        hijack: (contentType) => hijack(req, res, contentType, upgraded),
        websocket: () => acceptWebSocket(req, res, upgraded),
      };
      await found.handler(ctx);
    } catch (e) {
      this.debug(`${req.method} ${req.url}: ${(e as Error).stack ?? String(e)}`);
      if (upgraded && res.headersSent) upgraded.destroy();
      else sendError(res, e);
    } finally {
      socket.off("close", onClose);
    }
  }
}

function hijack(req: IncomingMessage, res: ServerResponse, contentType: string, upgraded?: net.Socket): Duplex {
  if (upgraded) {
    res.headersSent || res.detachSocket(upgraded);
    upgraded.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nApi-Version: ${API_VERSION}\r\n\r\n`);
    return upgraded;
  }
  res.writeHead(200, { "Content-Type": contentType });
  res.flushHeaders();
  return Duplex.from({ readable: req, writable: res });
}

/**
 * An upgraded request's body (exec start's JSON) comes on the socket before the stream: it is
 * read off by its Content-Length and kept for readBody, so none of it reaches the process.
 * The docker CLI writes the body apart from the headers, so on a busy machine it often comes
 * in a later read. It is taken with read(), never by pausing the socket: a paused socket
 * stays paused when the route later listens for the client's input ('data' resumes only a
 * socket nobody paused), and an exec -i would then never get its stdin or its end.
 */
async function takeUpgradeBody(req: IncomingMessage, socket: net.Socket, head: Buffer): Promise<void> {
  const length = Number(req.headers["content-length"] ?? 0);
  if (!Number.isSafeInteger(length) || length < 0 || length > MAX_UPGRADE_BODY) throw new ApiError(400, "invalid Content-Length");
  let have = head;
  while (have.length < length) {
    const chunk = socket.read() as Buffer | null;
    if (chunk !== null) {
      have = Buffer.concat([have, chunk]);
      continue;
    }
    if (socket.readableEnded || socket.destroyed) throw new ApiError(400, "the request body was cut short");
    const more = await new Promise<boolean>((resolve) => {
      const settle = (readable: boolean) => {
        socket.off("readable", onReadable);
        socket.off("end", onEnd);
        socket.off("close", onEnd);
        resolve(readable);
      };
      const onReadable = () => settle(true);
      const onEnd = () => settle(false);
      socket.on("readable", onReadable);
      socket.once("end", onEnd);
      socket.once("close", onEnd);
    });
    if (!more) throw new ApiError(400, "the request body was cut short");
  }
  setUpgradeBody(req, have.subarray(0, length));
  if (have.length > length) socket.unshift(have.subarray(length));
}

function groupId(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  const line = fs
    .readFileSync("/etc/group", "utf8")
    .split("\n")
    .find((l) => l.split(":")[0] === group);
  if (!line) throw new MydockerError("ENOGROUP", `unknown group ${group}: give an existing group name or gid`);
  return Number(line.split(":")[2]);
}
