// docker events: the engine's recorded events in range, then the live ones, one a line.
import type { Engine } from "../../engine/engine.js";
import { eventFilters } from "../../engine/events/filter.js";
import type { EngineEvent } from "../../engine/events/types.js";
import { parseDockerTime } from "../../engine/timestamps.js";
import { statusTemplate } from "../format.js";

export interface EventsFlags {
  filter: string[];
  since?: string;
  until?: string;
  format?: string;
}

/** Go's RFC3339Nano with all nine digits, in local time, as docker prints an event's time. */
function localTime(timeNano: number): string {
  const us = Math.round(timeNano / 1000);
  const ms = Math.floor(us / 1000);
  const d = new Date(ms);
  const offset = -d.getTimezoneOffset();
  const local = new Date(ms + offset * 60_000).toISOString().slice(0, 19);
  const frac = String((us % 1e6) * 1000).padStart(9, "0");
  const zone = offset === 0 ? "Z" : `${offset > 0 ? "+" : "-"}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0")}:${String(Math.abs(offset) % 60).padStart(2, "0")}`;
  return `${local}.${frac}${zone}`;
}

/** docker's line: time, type, action, actor id, and the attributes sorted by name. */
export function eventLine(ev: EngineEvent): string {
  const attrs = Object.keys(ev.Actor.Attributes)
    .sort()
    .map((k) => `${k}=${ev.Actor.Attributes[k]}`);
  return `${localTime(ev.timeNano)} ${ev.Type} ${ev.Action} ${ev.Actor.ID}${attrs.length ? ` (${attrs.join(", ")})` : ""}\n`;
}

/**
 * What --format sees: docker's template reads events.Message's Go fields (.TimeNano, .Time,
 * .Scope, .ID, .Status, .From) where its JSON (and `json .`) has timeNano, time, scope, id...
 */
function templateRow(ev: EngineEvent): EngineEvent {
  const row = { ...ev };
  const go = { Status: ev.status ?? "", ID: ev.id ?? "", From: ev.from ?? "", Scope: ev.scope, Time: ev.time, TimeNano: ev.timeNano };
  for (const [k, value] of Object.entries(go)) Object.defineProperty(row, k, { value, enumerable: false });
  return row;
}

export async function eventsCommand(engine: Engine, f: EventsFlags): Promise<void> {
  const render = f.format ? statusTemplate(f.format === "json" ? "{{json .}}" : f.format) : undefined;
  const now = new Date();
  const query = {
    filters: eventFilters(f.filter),
    since: f.since === undefined ? undefined : parseDockerTime(f.since, now),
    until: f.until === undefined ? undefined : parseDockerTime(f.until, now),
  };
  const abort = new AbortController();
  // A reader that went away (events | head -1) ends the stream, quietly.
  process.stdout.on("error", () => abort.abort());
  for await (const ev of engine.events.stream({ ...query, signal: abort.signal })) {
    if (abort.signal.aborted) break;
    process.stdout.write(render ? render(templateRow(ev)) + "\n" : eventLine(ev));
  }
}
