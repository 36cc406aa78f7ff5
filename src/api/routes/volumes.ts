// /volumes: list, create, inspect, remove, prune.
import { parseVolumeFilters } from "../../engine/volumes/store.js";
import { filterArgs, filtersParam, flag, readJson, sendEmpty, sendJson } from "../http.js";
import type { RequestContext, Router } from "../router.js";
import { dict, str } from "../shapes/check.js";

async function list({ engine, res, query }: RequestContext): Promise<void> {
  const filters = parseVolumeFilters(filterArgs(filtersParam(query)));
  sendJson(res, 200, { Volumes: engine.volumes.list(filters, engine.volumeUsers), Warnings: [] });
}

async function create({ engine, req, res }: RequestContext): Promise<void> {
  const body = await readJson(req, "CreateOptions", { Name: str, Driver: str, Labels: dict(str, "string") });
  sendJson(res, 201, engine.volumes.create(body.Name || undefined, { labels: body.Labels ?? {}, driver: body.Driver || undefined }));
}

async function inspect({ engine, res, params }: RequestContext): Promise<void> {
  sendJson(res, 200, engine.volumes.inspect(params.name!));
}

async function remove({ engine, res, params, query }: RequestContext): Promise<void> {
  engine.volumes.remove(params.name!, engine.volumeUsers, { force: flag(query, "force") });
  sendEmpty(res);
}

async function prune({ engine, res, query }: RequestContext): Promise<void> {
  const args = filterArgs(filtersParam(query));
  const all = args.includes("all=true") || args.includes("all=1");
  const filters = parseVolumeFilters(args.filter((a) => !a.startsWith("all=")));
  const r = engine.volumes.prune(engine.volumeUsers, { all, filters });
  sendJson(res, 200, { VolumesDeleted: r.deleted, SpaceReclaimed: r.spaceReclaimed });
}

export function volumeRoutes(r: Router): void {
  r.get("/volumes", list).post("/volumes/create", create).post("/volumes/prune", prune).get("/volumes/:name", inspect).delete("/volumes/:name", remove);
}
