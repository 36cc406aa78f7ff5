// The engine's events service over a real store: what is recorded is listed back in order
// and range, filtered as docker filters, kept bounded, and followed live across processes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDb } from "../../src/store/db.js";
import { EventsService } from "../../src/engine/events/service.js";
import { eventFilters } from "../../src/engine/events/filter.js";
import { EVENTS_KEPT } from "../../src/engine/events/store.js";
import type { EngineEvent, EventInput } from "../../src/engine/events/types.js";
import { waitFor } from "../helpers/wait.js";

function tempService(t: { after: (fn: () => void) => void }): { events: EventsService; root: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-events-"));
  const db = openDb(root);
  t.after(() => {
    db.close();
    fs.rmSync(root, { recursive: true, force: true });
  });
  return { events: new EventsService(() => db, undefined, 10), root };
}

const ctr = (Action: "create" | "start" | "die" | "destroy", id: string, name: string, extra: Record<string, string> = {}): EventInput => ({
  Type: "container",
  Action,
  id,
  attributes: { image: "busybox:latest", name, ...extra },
});

const brief = (evs: EngineEvent[]) => evs.map((e) => `${e.Type} ${e.Action} ${e.Actor.Attributes.name ?? e.Actor.ID}`);

test("recorded events come back in order, in docker's shape", (t) => {
  const { events } = tempService(t);
  events.record(ctr("create", "a".repeat(64), "web", { "com.example.tier": "front" }));
  events.record(ctr("start", "a".repeat(64), "web"));
  events.record({ Type: "volume", Action: "create", id: "data", attributes: { driver: "local" } });
  const all = events.list();
  assert.deepEqual(brief(all), ["container create web", "container start web", "volume create data"]);
  const first = all[0]!;
  assert.equal(first.Actor.ID, "a".repeat(64));
  assert.equal(first.scope, "local");
  assert.equal(first.status, "create");
  assert.equal(first.from, "busybox:latest");
  assert.equal(first.Actor.Attributes["com.example.tier"], "front");
  assert.equal(first.time, Math.floor(first.timeNano / 1e9));
  assert.ok(Math.abs(first.timeNano / 1e6 - Date.now()) < 60_000, "timeNano is now, in nanoseconds");
  assert.equal(all[2]!.status, undefined, "volume events carry no deprecated fields");
  assert.ok(all[0]!.timeNano <= all[1]!.timeNano);
});

test("since and until select by time", async (t) => {
  const { events } = tempService(t);
  const old = events.record(ctr("create", "1".repeat(64), "old"))!;
  // Events carry a sub-millisecond clock that may sit just behind Date.now(): the boundary is
  // taken from the events' own times, not from the wall clock between them.
  await waitFor(() => old.timeNano < Date.now() * 1e6 - 5e6, { what: "5 ms to pass" });
  const young = events.record(ctr("create", "2".repeat(64), "new"))!;
  assert.ok(young.timeNano > old.timeNano + 2e6, `${young.timeNano} after ${old.timeNano}`);
  const mid = BigInt(Math.round((old.timeNano + young.timeNano) / 2));
  assert.deepEqual(brief(events.list({ since: mid })), ["container create new"]);
  assert.deepEqual(brief(events.list({ until: mid })), ["container create old"]);
});

test("filters as docker's: names by prefix, actions, types, images without tags, labels", (t) => {
  const { events } = tempService(t);
  events.record(ctr("create", "abc".padEnd(64, "0"), "web", { tier: "front" }));
  events.record(ctr("die", "def".padEnd(64, "0"), "db", { exitCode: "3" }));
  events.record({ Type: "container", Action: "exec_start: sh -c date", id: "abc".padEnd(64, "0"), attributes: { name: "web", image: "busybox:latest" } });
  events.record({ Type: "image", Action: "tag", id: "sha256:1234", attributes: { name: "busybox:v2" } });
  const f = (...flags: string[]) => brief(events.list({ filters: eventFilters(flags) }));
  assert.deepEqual(f("container=web"), ["container create web", "container exec_start: sh -c date web"]);
  assert.deepEqual(f("container=def"), ["container die db"], "an id prefix");
  assert.deepEqual(f("event=die", "event=create"), ["container create web", "container die db"], "values of one key are alternatives");
  assert.deepEqual(f("event=exec_start"), ["container exec_start: sh -c date web"], "exec_start matches with its details");
  assert.deepEqual(f("type=image"), ["image tag busybox:v2"]);
  assert.deepEqual(f("image=busybox"), ["container create web", "container die db", "container exec_start: sh -c date web", "image tag busybox:v2"]);
  assert.deepEqual(f("label=tier=front"), ["container create web"]);
  assert.deepEqual(f("label=tier", "event=die"), [], "different keys must all hold");
  assert.throws(() => f("colour=red"), /invalid filter 'colour'/);
  assert.throws(() => f("container"), /bad format of filter \(expected name=value\): container/);
});

test("the store keeps the latest events only", (t) => {
  const { events } = tempService(t);
  for (let i = 0; i < EVENTS_KEPT + 100; i++) events.record(ctr("start", "f".repeat(64), `c${i}`));
  const all = events.list();
  // Trimmed every 64 inserts: between EVENTS_KEPT and 63 more.
  assert.ok(all.length >= EVENTS_KEPT && all.length < EVENTS_KEPT + 64, `kept ${all.length}`);
  assert.equal(all[all.length - 1]!.Actor.Attributes.name, `c${EVENTS_KEPT + 99}`);
});

test("a live stream sees what another process records, and ends at until", async (t) => {
  const { events, root } = tempService(t);
  events.record(ctr("create", "0".repeat(64), "before"));
  const abort = new AbortController();
  t.after(() => abort.abort());
  const seen: EngineEvent[] = [];
  const done = (async () => {
    for await (const ev of events.stream({ signal: abort.signal })) seen.push(ev);
  })();
  const service = new URL("../../src/engine/events/service.js", import.meta.url).href;
  const db = new URL("../../src/store/db.js", import.meta.url).href;
  const script = `
    const { EventsService } = await import(${JSON.stringify(service)});
    const { openDb } = await import(${JSON.stringify(db)});
    const h = openDb(${JSON.stringify(root)});
    new EventsService(() => h).record({ Type: "container", Action: "start", id: "${"9".repeat(64)}", attributes: { name: "other" } });
    h.close();`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  await waitFor(() => seen.length > 0, { what: "the other process's event" });
  assert.deepEqual(brief(seen), ["container start other"], "no history without since: only what came after");
  abort.abort();
  await done;

  const until = BigInt(Date.now() + 300) * 1_000_000n;
  const ended: EngineEvent[] = [];
  for await (const ev of events.stream({ since: 0n, until })) ended.push(ev);
  assert.deepEqual(brief(ended), ["container create before", "container start other"], "since: the history first; until: the stream ends");
});
