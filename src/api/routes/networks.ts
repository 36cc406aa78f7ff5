// /networks: list, create, inspect, remove, prune, connect, disconnect.
import { networkPruneFilter } from "../../engine/prune-filters.js";
import { ApiError, filterArgs, filtersParam, readJson, sendEmpty, sendJson } from "../http.js";
import type { RequestContext, Router } from "../router.js";
import { bool, dict, list as listOf, str, struct, type Shape } from "../shapes/check.js";

interface NetworkCreateRequest {
  Name?: string;
  Driver?: string;
  Internal?: boolean;
  IPAM?: { Config?: { Subnet?: string; Gateway?: string; IPRange?: string }[] | null } | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
  CheckDuplicate?: boolean;
}

interface ConnectRequest {
  Container?: string;
  EndpointConfig?: { Aliases?: string[] | null; IPAMConfig?: { IPv4Address?: string } | null } | null;
  Force?: boolean;
}

const networkCreateShape: Shape<NetworkCreateRequest> = {
  Name: str,
  Driver: str,
  Internal: bool,
  IPAM: struct("IPAM", { Config: listOf(struct("IPAMConfig", { Subnet: str, Gateway: str, IPRange: str }), "network.IPAMConfig") }),
  Options: dict(str, "string"),
  Labels: dict(str, "string"),
  CheckDuplicate: bool,
};

const connectShape: Shape<ConnectRequest> = {
  Container: str,
  EndpointConfig: struct("EndpointSettings", { Aliases: listOf(str, "string"), IPAMConfig: struct("EndpointIPAMConfig", { IPv4Address: str }) }),
  Force: bool,
};

async function list({ engine, res, query }: RequestContext): Promise<void> {
  const nets = engine.networks.list(filterArgs(filtersParam(query)));
  sendJson(
    res,
    200,
    nets.map((n) => engine.networks.inspect(n.id)),
  );
}

async function create({ engine, req, res }: RequestContext): Promise<void> {
  const body = await readJson(req, "NetworkCreateRequest", networkCreateShape);
  if (!body.Name) throw new ApiError(400, "Name is required to create a network");
  if (body.Driver && body.Driver !== "bridge") throw new ApiError(404, `plugin "${body.Driver}" not found: only the bridge driver is supported`);
  const ipam = body.IPAM?.Config?.[0];
  const n = engine.networks.create({
    name: body.Name,
    subnet: ipam?.Subnet || undefined,
    gateway: ipam?.Gateway || undefined,
    ipRange: ipam?.IPRange || undefined,
    internal: body.Internal,
    labels: body.Labels ?? {},
    options: body.Options ?? {},
  });
  sendJson(res, 201, { Id: n.id, Warning: "" });
}

async function inspect({ engine, res, params }: RequestContext): Promise<void> {
  sendJson(res, 200, engine.networks.inspect(params.id!));
}

async function remove({ engine, res, params }: RequestContext): Promise<void> {
  engine.networks.remove(params.id!);
  sendEmpty(res);
}

async function prune({ engine, res, query }: RequestContext): Promise<void> {
  sendJson(res, 200, { NetworksDeleted: await engine.networks.prune(networkPruneFilter(filtersParam(query))) });
}

async function connect({ engine, req, res, params }: RequestContext): Promise<void> {
  const body = await readJson(req, "NetworkConnect", connectShape);
  if (!body.Container) throw new ApiError(400, "Container is required");
  const ep = body.EndpointConfig ?? {};
  await engine.networks.connect(params.id!, body.Container, { ip: ep.IPAMConfig?.IPv4Address || undefined, aliases: ep.Aliases ?? undefined });
  sendEmpty(res, 200);
}

async function disconnect({ engine, req, res, params }: RequestContext): Promise<void> {
  const body = await readJson(req, "NetworkDisconnect", connectShape);
  if (!body.Container) throw new ApiError(400, "Container is required");
  await engine.networks.disconnect(params.id!, body.Container);
  sendEmpty(res, 200);
}

export function networkRoutes(r: Router): void {
  r.get("/networks", list)
    .post("/networks/create", create)
    .post("/networks/prune", prune)
    .get("/networks/:id", inspect)
    .delete("/networks/:id", remove)
    .post("/networks/:id/connect", connect)
    .post("/networks/:id/disconnect", disconnect);
}
