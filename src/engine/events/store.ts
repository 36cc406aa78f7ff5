// Events in the store shared by every process of an engine (the command line, a library,
// the API daemon), in the order they were recorded: seq is the cursor of a live stream.
import type { Db } from "../../store/db.js";
import type { EngineEvent, EventType, StoredEvent } from "./types.js";

/** How many events are kept: docker keeps its last 256 in memory. */
export const EVENTS_KEPT = 1024;

interface Row {
  seq: number;
  time_us: number;
  type: EventType;
  action: string;
  actor_id: string;
  attributes: string;
}

function toEvent(r: Row): StoredEvent {
  const Attributes = JSON.parse(r.attributes) as Record<string, string>;
  const event: EngineEvent = {
    Type: r.type,
    Action: r.action,
    Actor: { ID: r.actor_id, Attributes },
    scope: "local",
    time: Math.floor(r.time_us / 1e6),
    timeNano: r.time_us * 1000,
  };
  if (r.type === "container" || r.type === "image") {
    // docker's deprecated fields, still sent: scripts read them.
    Object.assign(event, { status: r.action, id: r.actor_id, ...(Attributes.image !== undefined ? { from: Attributes.image } : {}) });
  }
  return { seq: r.seq, event };
}

export class EventStore {
  constructor(private readonly db: Db) {}

  insert(timeUs: number, type: EventType, action: string, actorId: string, attributes: Record<string, string>): StoredEvent {
    const r = this.db
      .prepare("INSERT INTO events (time_us, type, action, actor_id, attributes) VALUES (?, ?, ?, ?, ?)")
      .run(timeUs, type, action, actorId, JSON.stringify(attributes));
    const seq = Number(r.lastInsertRowid);
    // Trimmed now and then, not at every insert: one range delete on the primary key.
    if (seq % 64 === 0) this.db.prepare("DELETE FROM events WHERE seq <= ?").run(seq - EVENTS_KEPT);
    return toEvent({ seq, time_us: timeUs, type, action, actor_id: actorId, attributes: JSON.stringify(attributes) });
  }

  /** The last seq recorded (0 for none): a live stream starts after it. */
  lastSeq(): number {
    return (this.db.prepare("SELECT COALESCE(MAX(seq), 0) AS n FROM events").get() as { n: number }).n;
  }

  /** Events after seq, oldest first, up to limit of them: those up to maxSeq and in the time range. */
  after(seq: number, limit: number, range: { sinceUs?: number; untilUs?: number; maxSeq?: number } = {}): StoredEvent[] {
    const max = Number.MAX_SAFE_INTEGER;
    return (
      this.db
        .prepare("SELECT * FROM events WHERE seq > ? AND seq <= ? AND time_us >= ? AND time_us <= ? ORDER BY seq LIMIT ?")
        .all(seq, range.maxSeq ?? max, range.sinceUs ?? 0, range.untilUs ?? max, limit) as Row[]
    ).map(toEvent);
  }
}
