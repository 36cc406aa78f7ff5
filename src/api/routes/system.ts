// /_ping, /version, /info: what clients ask first, to negotiate the API version and learn
// what kind of engine they talk to; /events: the engine's events, recorded and live; /auth (login).
import { eventFilters } from "../../engine/events/filter.js";
import { parseDockerTime } from "../../engine/timestamps.js";
import { BuildCache } from "../../build/cache.js";
import type { ContainerRecord } from "../../engine/container-store.js";
import { checkLogin } from "../../image/index.js";
import { MydockerError } from "../../util/errors.js";
import { ApiError, filtersParam, readJson, sendJson } from "../http.js";
import type { RequestContext, Router } from "../router.js";
import { str, type Shape } from "../shapes/check.js";
import { containerListEntry } from "../shapes/container.js";
import { DF_TYPES, diskUsageJson, type DfType } from "../shapes/disk-usage.js";
import { writeWaiting } from "../streams.js";

function ping({ res, req }: RequestContext): Promise<void> {
  res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-cache, no-store, must-revalidate", Pragma: "no-cache", "Builder-Version": "1" });
  res.end(req.method === "HEAD" ? undefined : "OK");
  return Promise.resolve();
}

async function version({ engine, res }: RequestContext): Promise<void> {
  sendJson(res, 200, engine.system.version());
}

async function info({ engine, res }: RequestContext): Promise<void> {
  sendJson(res, 200, await engine.system.info());
}

/** The events in range (since/until), then the live ones until until or the client leaves. */
async function events(ctx: RequestContext): Promise<void> {
  const { engine, query, res } = ctx;
  const now = new Date();
  const time = (name: string) => {
    const v = query.get(name);
    return v === null || v === "" ? undefined : parseDockerTime(v, now);
  };
  const stream = engine.events.stream({ filters: eventFilters(filtersParam(query)), since: time("since"), until: time("until"), signal: ctx.signal });
  res.writeHead(200, { "Content-Type": "application/json" });
  res.flushHeaders();
  for await (const ev of stream) await writeWaiting(res, JSON.stringify(ev) + "\n");
  res.end();
}

interface AuthRequest {
  username?: string;
  password?: string;
  serveraddress?: string;
}

const authShape: Shape<AuthRequest> = { username: str, password: str, serveraddress: str };

/** docker login: the daemon checks the credentials with the registry; the client keeps them. */
async function auth({ req, res }: RequestContext): Promise<void> {
  const body = await readJson(req, "AuthConfig", authShape);
  try {
    await checkLogin(body.serveraddress, { username: body.username ?? "", password: body.password ?? "" });
  } catch (e) {
    if (e instanceof MydockerError && e.code === "registry_unauthorized") throw new ApiError(401, e.message);
    throw e;
  }
  sendJson(res, 200, { Status: "Login Succeeded", IdentityToken: "" });
}

/** docker system df: images, containers, volumes and build cache with their sizes (type=…: only those). */
async function df({ engine, res, query }: RequestContext): Promise<void> {
  const asked = query.getAll("type");
  const bad = asked.find((t) => !DF_TYPES.includes(t as DfType));
  if (bad !== undefined) throw new ApiError(400, `invalid type: ${bad}: use ${DF_TYPES.join(", ")}`);
  const types = asked.length ? (asked as DfType[]) : DF_TYPES;
  const now = Date.now();
  const summary = (c: ContainerRecord) => containerListEntry(engine, c, now);
  sendJson(res, 200, diskUsageJson(await engine.system.df(), new BuildCache(engine.images).entries(), types, summary));
}

export function systemRoutes(r: Router): void {
  r.get("/_ping", ping).head("/_ping", ping).get("/version", version).get("/info", info).get("/events", events).post("/auth", auth).get("/system/df", df);
}
