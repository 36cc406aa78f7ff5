// /containers: create, list, inspect, and the verbs that change a container's state.
import { containerFilter, filtersListAll } from "../../engine/containers/filters.js";
import { containerPruneFilter } from "../../engine/prune-filters.js";
import { resourcesFromFlags, type ResourceFlags } from "../../engine/resource-flags.js";
import { ApiError, filtersParam, flag, intParam, readJson, sendEmpty, sendJson } from "../http.js";
import type { RequestContext, Router } from "../router.js";
import { createOptions } from "../shapes/create.js";
import { createShape, hostConfigShape } from "../shapes/create-schema.js";
import { containerJson, containerListEntry } from "../shapes/container.js";

async function create({ engine, req, res, query }: RequestContext): Promise<void> {
  const body = await readJson(req, "ContainerConfigWrapper", createShape);
  const { id, warnings } = await engine.createWithWarnings(createOptions(query.get("name") ?? undefined, body));
  sendJson(res, 201, { Id: id, Warnings: warnings });
}

async function list({ engine, res, query }: RequestContext): Promise<void> {
  await engine.sweep();
  const filters = filtersParam(query);
  const filter = containerFilter(filters, () => engine.containers.all(), { ports: (c) => engine.networks.containerPorts(c) });
  // As moby's list: a limit above 0 or a status filter takes stopped containers in too.
  const limit = intParam(query, "limit") ?? 0;
  let all = await engine.list(flag(query, "all") || limit > 0 || filtersListAll(filters));
  all = all.filter(filter);
  if (limit > 0) all = all.slice(0, limit);
  const now = Date.now();
  sendJson(
    res,
    200,
    all.map((c) => containerListEntry(engine, c, now)),
  );
}

async function inspect({ engine, res, params }: RequestContext): Promise<void> {
  sendJson(res, 200, containerJson(engine, params.id!));
}

async function start({ engine, res, params }: RequestContext): Promise<void> {
  const c = engine.resolve(params.id!);
  if (c.state.status === "running" || c.state.status === "paused") return sendEmpty(res, 304);
  await engine.start(c.id);
  sendEmpty(res);
}

async function stop({ engine, res, params, query }: RequestContext): Promise<void> {
  const c = engine.resolve(params.id!);
  if (c.state.status !== "running" && c.state.status !== "paused" && c.state.status !== "restarting") return sendEmpty(res, 304);
  await engine.stop(c.id, intParam(query, "t"));
  sendEmpty(res);
}

async function restart({ engine, res, params, query }: RequestContext): Promise<void> {
  const id = await engine.stop(params.id!, intParam(query, "t"));
  await engine.start(id);
  sendEmpty(res);
}

async function kill({ engine, res, params, query }: RequestContext): Promise<void> {
  await engine.kill(params.id!, query.get("signal") || undefined);
  sendEmpty(res);
}

async function remove({ engine, res, params, query }: RequestContext): Promise<void> {
  await engine.remove(params.id!, { force: flag(query, "force"), volumes: flag(query, "v") });
  sendEmpty(res);
}

async function rename({ engine, res, params, query }: RequestContext): Promise<void> {
  const name = query.get("name");
  if (!name) throw new ApiError(400, "the new name is missing: give ?name=NEW");
  engine.rename(params.id!, name);
  sendEmpty(res);
}

async function pause({ engine, res, params }: RequestContext): Promise<void> {
  await engine.pause(params.id!);
  sendEmpty(res);
}

async function unpause({ engine, res, params }: RequestContext): Promise<void> {
  await engine.unpause(params.id!);
  sendEmpty(res);
}

async function update({ engine, req, res, params }: RequestContext): Promise<void> {
  const hc = await readJson(req, "UpdateConfig", hostConfigShape);
  const flags: ResourceFlags = {
    memory: hc.Memory || undefined,
    memorySwap: hc.MemorySwap || undefined,
    memoryReservation: hc.MemoryReservation || undefined,
    cpus: hc.NanoCpus ? hc.NanoCpus / 1e9 : undefined,
    cpuShares: hc.CpuShares || undefined,
    cpuPeriod: hc.CpuPeriod || undefined,
    cpuQuota: hc.CpuQuota || undefined,
    cpusetCpus: hc.CpusetCpus || undefined,
    cpusetMems: hc.CpusetMems || undefined,
    pidsLimit: hc.PidsLimit || undefined,
    blkioWeight: hc.BlkioWeight || undefined,
  };
  engine.update(params.id!, resourcesFromFlags(flags, { update: true }));
  sendJson(res, 200, { Warnings: [] });
}

async function prune({ engine, res, query }: RequestContext): Promise<void> {
  const { deleted, spaceReclaimed } = await engine.prune(containerPruneFilter(filtersParam(query)));
  sendJson(res, 200, { ContainersDeleted: deleted, SpaceReclaimed: spaceReclaimed });
}

async function top({ engine, res, params, query }: RequestContext): Promise<void> {
  const args = query.get("ps_args");
  const { titles, processes } = engine.top(params.id!, args ? args.split(/\s+/).filter(Boolean) : undefined);
  sendJson(res, 200, { Titles: titles, Processes: processes });
}

async function changes({ engine, res, params }: RequestContext): Promise<void> {
  sendJson(res, 200, engine.files.diff(params.id!));
}

export function containerRoutes(r: Router): void {
  r.post("/containers/create", create)
    .get("/containers/json", list)
    .post("/containers/prune", prune)
    .get("/containers/:id/json", inspect)
    .post("/containers/:id/start", start)
    .post("/containers/:id/stop", stop)
    .post("/containers/:id/restart", restart)
    .post("/containers/:id/kill", kill)
    .delete("/containers/:id", remove)
    .post("/containers/:id/rename", rename)
    .post("/containers/:id/pause", pause)
    .post("/containers/:id/unpause", unpause)
    .post("/containers/:id/update", update)
    .get("/containers/:id/top", top)
    .get("/containers/:id/changes", changes);
}
