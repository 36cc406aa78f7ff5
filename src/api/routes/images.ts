// /images: list, pull (create) and push with docker's JSON progress stream, inspect,
// history, tag, remove, load, save (get), prune, and /commit. search is refused (build: routes/build.ts).
import { configChanges } from "../../engine/config-changes.js";
import { imagePruneFilter } from "../../engine/prune-filters.js";
import { imageSelection } from "../../engine/image-filters.js";
import type { IncomingMessage } from "node:http";
import { LayerWords, loadedLines, type Progress, type ProgressEvent, type RegistryOptions } from "../../image/index.js";
import { ApiError, flag, filtersParam, readJson, sendJson } from "../http.js";
import type { RequestContext, Router } from "../router.js";
import { containerConfigShape } from "../shapes/create-schema.js";
import { checkBody, str } from "../shapes/check.js";
import { imageSummary } from "../shapes/image.js";

/** docker's progress messages, one JSON object a line. */
function progressMessage(e: ProgressEvent): object {
  if (e.kind === "step") return { status: e.message };
  const detail = e.current !== undefined ? { current: e.current, ...(e.total ? { total: e.total } : {}) } : {};
  return { status: LayerWords[e.action], progressDetail: detail, id: e.id };
}

/** X-Registry-Auth: base64url JSON with username and password. */
function registryOptions(req: IncomingMessage): RegistryOptions {
  const header = req.headers["x-registry-auth"];
  if (typeof header !== "string" || header === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(header, "base64url").toString("utf8"));
  } catch {
    throw new ApiError(400, "invalid X-Registry-Auth header: base64url JSON is expected");
  }
  const auth = checkBody(parsed, "AuthConfig", { username: str, password: str });
  return auth.username ? { credentials: { username: auth.username, password: auth.password ?? "" } } : {};
}

/** Runs work with a JSON progress stream as the reply, then its last message if it has one; a failure becomes the stream's last message. */
async function withProgress(ctx: RequestContext, work: (p: Progress) => Promise<object | undefined>): Promise<void> {
  const { res } = ctx;
  res.writeHead(200, { "Content-Type": "application/json" });
  const send = (o: object) => res.write(JSON.stringify(o) + "\n");
  try {
    const last = await work((e) => send(progressMessage(e)));
    if (last) send(last);
  } catch (e) {
    const message = (e as Error).message;
    send({ errorDetail: { message }, error: message });
  }
  res.end();
}

/** As dockerd: every image (this store keeps no intermediate ones for `all` to add), filtered as `docker images` filters. */
async function list({ engine, res, query }: RequestContext): Promise<void> {
  const select = imageSelection(filtersParam(query), (ref) => engine.images.resolve(ref));
  const users = (id: string) => engine.containers.usesImage(id).length;
  const images = engine.images.list().filter((i) => select.image(i));
  sendJson(
    res,
    200,
    images.map((i) => imageSummary({ ...i, names: select.names(i.names), digests: select.names(i.digests) }, users(i.id))),
  );
}

async function create(ctx: RequestContext): Promise<void> {
  const { engine, query, req } = ctx;
  const from = query.get("fromImage");
  if (query.get("fromSrc") === "-") {
    const repo = query.get("repo");
    const ref = repo ? refOf(repo, query.get("tag")) : undefined;
    const changes = { config: configChanges(query.getAll("changes")), comment: query.get("message") || undefined };
    return withProgress(ctx, async (p) => ({ status: (await engine.images.importRootfsTar(req, ref, { progress: p, changes })).id }));
  }
  if (!from) throw new ApiError(400, "fromImage or fromSrc=- is required");
  const ref = refOf(from, query.get("tag"));
  const opts = registryOptions(req);
  // The pull's own steps end with its digest and status, as dockerd's.
  await withProgress(ctx, async (p) => void (await engine.images.pull(ref, opts, p)));
}

async function push(ctx: RequestContext): Promise<void> {
  const { engine, params, query, req } = ctx;
  const tag = query.get("tag");
  const ref = tag ? `${params.name}:${tag}` : params.name!;
  const opts = registryOptions(req);
  // The push's own steps end with docker's "TAG: digest: D size: N"; the aux message is what clients read the digest from.
  await withProgress(ctx, async (p) => ({ progressDetail: {}, aux: { Tag: tag ?? "latest", Digest: await engine.images.push(ref, opts, p) } }));
}

async function inspect({ engine, res, params }: RequestContext): Promise<void> {
  sendJson(res, 200, { ...engine.images.inspect(params.name!), ContainerConfig: {}, DockerVersion: "", VirtualSize: undefined, GraphDriver: { Name: "overlay2", Data: null } });
}

async function history({ engine, res, params }: RequestContext): Promise<void> {
  const rows = engine.images.history(params.name!);
  sendJson(
    res,
    200,
    rows.map((r) => ({ Id: r.id, Created: Math.floor(Date.parse(r.created) / 1000) || 0, CreatedBy: r.createdBy, Tags: null, Size: r.size, Comment: r.comment })),
  );
}

async function tag({ engine, res, params, query }: RequestContext): Promise<void> {
  const repo = query.get("repo");
  if (!repo) throw new ApiError(400, "repo is required: POST /images/NAME/tag?repo=REPO&tag=TAG");
  engine.images.tag(params.name!, refOf(repo, query.get("tag")));
  res.writeHead(201);
  res.end();
}

async function remove({ engine, res, params, query }: RequestContext): Promise<void> {
  const r = engine.images.remove(params.name!, { force: flag(query, "force"), inUse: (id) => engine.containers.firstUserOf(id), runningUser: (id) => engine.containers.runningUserOf(id) });
  sendJson(res, 200, [...r.untagged.map((u) => ({ Untagged: u })), ...r.deleted.map((d) => ({ Deleted: d }))]);
}

async function prune({ engine, res, query }: RequestContext): Promise<void> {
  const { all, only } = imagePruneFilter(filtersParam(query));
  const r = engine.images.prune({ all, inUse: (id) => engine.containers.firstUserOf(id), only });
  sendJson(res, 200, { ImagesDeleted: r.removed, SpaceReclaimed: r.reclaimedBytes });
}

async function load({ engine, req, res }: RequestContext): Promise<void> {
  const loaded = await engine.images.load(req);
  res.writeHead(200, { "Content-Type": "application/json" });
  // As dockerd, quiet or not: quiet only drops the progress, which this reply has none of.
  for (const i of loaded) {
    const line = loadedLines(i).map((l) => l + "\n").join("");
    res.write(JSON.stringify({ stream: line }) + "\n");
  }
  res.end();
}

async function save({ engine, res, params, query }: RequestContext): Promise<void> {
  const names = params.name ? [params.name] : query.getAll("names");
  if (names.length === 0) throw new ApiError(400, "names are required: GET /images/get?names=NAME");
  for (const n of names) engine.images.get(n);
  res.writeHead(200, { "Content-Type": "application/x-tar" });
  await engine.images.save(names, res);
  res.end();
}

async function commit({ engine, req, res, query }: RequestContext): Promise<void> {
  const container = query.get("container");
  if (!container) throw new ApiError(400, "container is required: POST /commit?container=NAME");
  const config = await readJson(req, "Config", containerConfigShape);
  const repo = query.get("repo");
  const ref = repo ? refOf(repo, query.get("tag")) : undefined;
  const img = await engine.commit(
    container,
    ref,
    { config: { ...config, ...configChanges(query.getAll("changes")) } as never, comment: query.get("comment") ?? undefined, author: query.get("author") ?? undefined },
    { pause: flag(query, "pause", true) },
  );
  sendJson(res, 201, { Id: img.id });
}

/**
 * repo and tag as one reference: the docker CLI sends import's whole reference as repo, pull's,
 * tag's and commit's apart (a pull by digest sends the digest as the tag).
 */
function refOf(repo: string, tag: string | null): string {
  if (tag) return `${repo}${/^[a-z0-9]+:[0-9a-f]{32,}$/.test(tag) ? "@" : ":"}${tag}`;
  return repo.includes("@") || /:[^/]+$/.test(repo) ? repo : `${repo}:latest`;
}

const refuse = (what: string) => async () => {
  throw new ApiError(501, what);
};

export function imageRoutes(r: Router): void {
  r.get("/images/json", list)
    .post("/images/create", create)
    .post("/images/load", load)
    .get("/images/get", save)
    .post("/images/prune", prune)
    .get("/images/search", refuse("image search is not supported by mydocker: it talks to registries only to pull and push named images"))
    .post("/commit", commit)
    .get("/images/:name*/json", inspect)
    .get("/images/:name*/history", history)
    .get("/images/:name*/get", save)
    .post("/images/:name*/tag", tag)
    .post("/images/:name*/push", push)
    .delete("/images/:name*", remove);
}
