// Which events a filter lets through, as moby's daemon/events/filter.go decides.
import { Filters, type FilterMap } from "../filters.js";
import type { EngineEvent } from "./types.js";

export const EVENT_FILTERS = ["container", "event", "image", "label", "type", "volume", "network", "daemon", "scope"] as const;

/** Actions docker matches by prefix: their Action carries details ("exec_start: sh", "health_status: healthy"). */
const PREFIXED = ["health_status", "exec_create", "exec_start"];

export function eventFilters(flags: readonly string[] | FilterMap): Filters {
  return Array.isArray(flags) ? Filters.fromFlags(flags, EVENT_FILTERS) : Filters.from(flags as FilterMap, EVENT_FILTERS);
}

const stripTag = (ref: string): string => {
  const i = ref.lastIndexOf(":");
  return i > ref.lastIndexOf("/") && !ref.includes("@") ? ref.slice(0, i) : ref;
};

function byName(f: Filters, key: string, ev: EngineEvent): boolean {
  return !f.has(key) || f.fuzzy(key, ev.Actor.ID) || f.fuzzy(key, ev.Actor.Attributes.name);
}

function byImage(f: Filters, ev: EngineEvent): boolean {
  if (!f.has("image")) return true;
  const name = ev.Actor.Attributes[ev.Type === "image" ? "name" : "image"];
  return [ev.Actor.ID, name, stripTag(ev.Actor.ID), name === undefined ? undefined : stripTag(name)].some((v) => v !== undefined && f.exact("image", v));
}

export function eventMatches(f: Filters, ev: EngineEvent): boolean {
  const action = f.get("event").some((v) => PREFIXED.includes(v)) ? f.fuzzy("event", ev.Action) : f.exact("event", ev.Action);
  return (
    action &&
    f.exact("type", ev.Type) &&
    f.exact("scope", ev.scope) &&
    byName(f, "container", ev) &&
    byName(f, "volume", ev) &&
    byName(f, "network", ev) &&
    byName(f, "daemon", ev) &&
    byImage(f, ev) &&
    f.labels("label", ev.Actor.Attributes)
  );
}
