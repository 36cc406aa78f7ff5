// Routes as moby lists them: a method and a path pattern per handler. `:name` matches one
// path segment, `:name*` the rest of the path (image names hold slashes).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Engine } from "../engine/engine.js";
import type { ExecSessions } from "../engine/containers/exec-sessions.js";

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  engine: Engine;
  /** The exec instances this server made (exec create, start, inspect). */
  execs: ExecSessions;
  /** The API version the client asked for (its /v1.NN/ prefix), else the newest. */
  version: string;
  /** Aborted when the client goes away: streams and waits end and free what they hold. */
  signal: AbortSignal;
  /**
   * Takes over the connection (docker's hijack): with the client's `Upgrade: tcp`, a 101
   * reply, else a 200 one; what follows is the raw stream both ways.
   */
  hijack(contentType: string): Duplex;
  /** Takes over the connection as a websocket (attach/ws): its messages as one stream both ways. */
  websocket(): Promise<Duplex>;
}

export type Handler = (ctx: RequestContext) => Promise<void>;

interface Route {
  method: string;
  re: RegExp;
  names: string[];
  handler: Handler;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    const names: string[] = [];
    const source = pattern
      .split("/")
      .map((seg) => {
        if (!seg.startsWith(":")) return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        const greedy = seg.endsWith("*");
        names.push(seg.slice(1, greedy ? -1 : undefined));
        return greedy ? "(.+)" : "([^/]+)";
      })
      .join("/");
    this.routes.push({ method, re: new RegExp(`^${source}$`), names, handler });
    return this;
  }

  get(pattern: string, h: Handler): this {
    return this.add("GET", pattern, h);
  }
  post(pattern: string, h: Handler): this {
    return this.add("POST", pattern, h);
  }
  put(pattern: string, h: Handler): this {
    return this.add("PUT", pattern, h);
  }
  head(pattern: string, h: Handler): this {
    return this.add("HEAD", pattern, h);
  }
  delete(pattern: string, h: Handler): this {
    return this.add("DELETE", pattern, h);
  }

  /** The handler and its parameters; "method" when the path exists for other methods only. */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | "method" | undefined {
    let other = false;
    for (const r of this.routes) {
      const m = r.re.exec(path);
      if (!m) continue;
      if (r.method !== method) {
        other = true;
        continue;
      }
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
      return { handler: r.handler, params };
    }
    return other ? "method" : undefined;
  }
}
