// GET /containers/{id}/stats: one object (stream=false), or one a second while the client
// reads (a client that stops reading holds the next one back; one that leaves ends it). A
// container that does not run gives no objects until it runs again; one removed ends the stream.
import { setTimeout as sleep } from "node:timers/promises";
import type { StatsSample } from "../../engine/containers/resources.js";
import { networkCounters } from "../../engine/containers/net-stats.js";
import { flag } from "../http.js";
import type { RequestContext, Router } from "../router.js";
import { statsJson } from "../shapes/stats.js";
import { writeWaiting } from "../streams.js";

const INTERVAL_MS = 1000;

/** The container's stats now (its sample undefined when it does not run); throws once it is removed. */
function current(ctx: RequestContext, id: string, prev: StatsSample | undefined): { json: ReturnType<typeof statsJson>; sample?: StatsSample } {
  const c = ctx.engine.resolve(id);
  const [sample] = ctx.engine.sampleStats(ctx.engine.statsTargets([c.id]), true);
  return { json: statsJson(c.id, c.name, sample, prev, sample ? networkCounters(c) : undefined), sample };
}

async function stats(ctx: RequestContext): Promise<void> {
  const { engine, params, query, res, signal } = ctx;
  const c = engine.resolve(params.id!);
  const stream = flag(query, "stream", true);
  res.writeHead(200, { "Content-Type": "application/json" });
  if (!stream) return void res.end(JSON.stringify(current(ctx, c.id, undefined).json) + "\n");
  res.flushHeaders();
  let prev: StatsSample | undefined;
  while (!signal.aborted) {
    let now: ReturnType<typeof current>;
    try {
      now = current(ctx, c.id, prev);
    } catch {
      break;
    }
    if (now.sample) await writeWaiting(res, JSON.stringify(now.json) + "\n");
    prev = now.sample;
    await sleep(INTERVAL_MS, undefined, { signal }).catch(() => {});
  }
  res.end();
}

export function statsRoutes(r: Router): void {
  r.get("/containers/:id/stats", stats);
}
