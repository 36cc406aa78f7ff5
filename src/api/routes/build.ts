// POST /build: docker's classic build API (what the docker CLI uses when the daemon's
// /_ping says Builder-Version 1). The body is the context as a tar; the reply a JSON stream
// of {"stream": text} (the plain progress), {"aux": {"ID"}} at the end, or an error.
import { PlainProgress } from "../../build/progress.js";
import { familiarName } from "../../image/index.js";
import { BuildCache } from "../../build/cache.js";
import { ApiError, filtersParam, flag, sendJson } from "../http.js";
import type { RequestContext, Router } from "../router.js";

/** docker builder prune: every cached step forgotten (there is one kind of cache entry). */
async function prune({ engine, res, query }: RequestContext): Promise<void> {
  // The cache's records keep no times or kinds to select by: a filter is refused, not ignored
  // (an ignored until= would remove the whole cache).
  const given = Object.keys(filtersParam(query));
  if (given.length) throw new ApiError(400, `the build cache prune takes no filters (${given.join(", ")}): nothing was removed; prune without them`);
  const r = new BuildCache(engine.images).prune();
  sendJson(res, 200, { CachesDeleted: [], SpaceReclaimed: r.reclaimed });
}

/** A query parameter holding a JSON object of strings (buildargs, labels). */
function jsonMap(query: URLSearchParams, name: string): Record<string, string> | undefined {
  const v = query.get(name);
  if (v === null || v === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    throw new ApiError(400, `invalid ${name}: a JSON object is expected`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new ApiError(400, `invalid ${name}: a JSON object is expected`);
  // A build arg given without a value (null) takes none, as docker's does.
  return Object.fromEntries(Object.entries(parsed).filter(([, value]) => typeof value === "string")) as Record<string, string>;
}

async function build(ctx: RequestContext): Promise<void> {
  const { query, res, engine, req } = ctx;
  if (query.get("remote")) throw new ApiError(400, "building from a remote context is not supported: send the context as the request's tar body");
  const buildArgs = jsonMap(query, "buildargs");
  const labels = jsonMap(query, "labels");
  const quiet = flag(query, "q");
  res.writeHead(200, { "Content-Type": "application/json" });
  const send = (o: object) => res.write(JSON.stringify(o) + "\n");
  const plain = new PlainProgress((text) => {
    if (!quiet) send({ stream: text });
  });
  try {
    const network = query.get("networkmode");
    const result = await engine.build({
      context: req,
      dockerfile: query.get("dockerfile") || undefined,
      tags: query.getAll("t"),
      buildArgs,
      labels,
      target: query.get("target") || undefined,
      noCache: flag(query, "nocache"),
      pull: flag(query, "pull"),
      network: network && network !== "default" ? network : undefined,
      platform: query.get("platform") || undefined,
      onProgress: (e) => plain.handle(e),
      signal: ctx.signal,
    });
    plain.finish(result.image.id, result.names);
    send({ aux: { ID: result.image.id } });
    // With -q the docker CLI prints what the stream says: only the id.
    if (quiet) send({ stream: `${result.image.id}\n` });
    if (!quiet) {
      send({ stream: `Successfully built ${result.image.id.slice(7, 19)}\n` });
      for (const n of result.names) send({ stream: `Successfully tagged ${familiarName(n)}\n` });
    }
  } catch (e) {
    const message = (e as Error).message;
    send({ errorDetail: { message }, error: message });
  }
  res.end();
}

export function buildRoutes(r: Router): void {
  r.post("/build", build).post("/build/prune", prune);
}
