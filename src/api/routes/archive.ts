// /containers/{id}/archive: docker cp. HEAD says what is at a path, GET sends it as a tar,
// PUT extracts a tar into a directory. The engine resolves every path inside the container.
import { ApiError, flag, sendEmpty } from "../http.js";
import type { RequestContext, Router } from "../router.js";
import { pathStatHeader } from "../shapes/path-stat.js";

const STAT_HEADER = "X-Docker-Container-Path-Stat";

function pathParam(ctx: RequestContext): string {
  const p = ctx.query.get("path");
  if (!p) throw new ApiError(400, "the path is missing: give ?path=PATH in the container");
  return p;
}

async function head(ctx: RequestContext): Promise<void> {
  const stat = await ctx.engine.files.stat(ctx.params.id!, pathParam(ctx));
  ctx.res.writeHead(200, { [STAT_HEADER]: pathStatHeader(stat) });
  ctx.res.end();
}

async function get(ctx: RequestContext): Promise<void> {
  const { engine, params, res } = ctx;
  const p = pathParam(ctx);
  const stat = await engine.files.stat(params.id!, p);
  res.writeHead(200, { "Content-Type": "application/x-tar", [STAT_HEADER]: pathStatHeader(stat) });
  await engine.files.copyFrom(params.id!, p, "-", res);
  res.end();
}

async function put(ctx: RequestContext): Promise<void> {
  const { engine, params, query, req, res } = ctx;
  await engine.files.copyTo("-", req, params.id!, pathParam(ctx), { archive: flag(query, "copyUIDGID"), noOverwriteDirNonDir: flag(query, "noOverwriteDirNonDir") });
  sendEmpty(res, 200);
}

export function archiveRoutes(r: Router): void {
  r.head("/containers/:id/archive", head).get("/containers/:id/archive", get).put("/containers/:id/archive", put);
}
