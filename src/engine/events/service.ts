// The engine's events: every service records what it did (record), and anyone reads them
// back (list) or follows them as they come (stream, subscribe) — from any process of the
// engine, since they share the store. A live reader polls the store by seq; with no reader
// nothing runs, and recording costs one insert.
import { setTimeout as sleep } from "node:timers/promises";
import type { Db } from "../../store/db.js";
import { Filters } from "../filters.js";
import type { UnixNanos } from "../timestamps.js";
import { eventMatches } from "./filter.js";
import { EventStore } from "./store.js";
import type { EngineEvent, EventInput } from "./types.js";

export interface EventQuery {
  /** Events from this time on (docker's --since): with since or until, the recorded ones are read first. */
  since?: UnixNanos;
  /** Up to this time (docker's --until): the stream ends there; without it, it goes on until aborted. */
  until?: UnixNanos;
  filters?: Filters;
}

/** How often a live reader looks for new events. */
export const POLL_MS = 100;
const BATCH = 256;

/** Wall-clock microseconds: Date.now() alone would give every event of a millisecond the same time. */
function nowUs(): number {
  const precise = Math.round((performance.timeOrigin + performance.now()) * 1000);
  const coarse = Date.now() * 1000;
  // The monotonic clock drifts from the wall clock in a long-lived process (NTP): the wall clock wins.
  return Math.abs(precise - coarse) < 1000 ? precise : coarse;
}

const toUs = (n: UnixNanos | undefined): number | undefined => (n === undefined ? undefined : Number(n / 1000n));

export class EventsService {
  private storeHandle?: EventStore;

  constructor(
    private readonly db: () => Db,
    private readonly debug: (msg: string) => void = () => {},
    private readonly pollMs = POLL_MS,
  ) {}

  private get store(): EventStore {
    this.storeHandle ??= new EventStore(this.db());
    return this.storeHandle;
  }

  /**
   * Records an event, at a time already past when given (what a container's monitor did
   * while no engine process ran); a failure to record never fails the operation it describes.
   */
  record(input: EventInput, at?: UnixNanos): EngineEvent | undefined {
    try {
      return this.store.insert(toUs(at) ?? nowUs(), input.Type, input.Action, input.id, input.attributes).event;
    } catch (e) {
      this.debug(`recording the ${input.Type} ${input.Action} event of ${input.id}: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** The recorded events in the query's range that its filters let through, oldest first. */
  list(q: EventQuery = {}): EngineEvent[] {
    return [...this.recorded(q, this.store.lastSeq())];
  }

  private *recorded(q: EventQuery, maxSeq: number): Generator<EngineEvent> {
    const f = q.filters ?? Filters.none();
    const range = { sinceUs: toUs(q.since), untilUs: toUs(q.until), maxSeq };
    for (let seq = 0; ; ) {
      const batch = this.store.after(seq, BATCH, range);
      for (const s of batch) if (eventMatches(f, s.event)) yield s.event;
      if (batch.length < BATCH) return;
      seq = batch[batch.length - 1]!.seq;
    }
  }

  /**
   * docker events: with since or until, the recorded events in range first; then, unless
   * until has passed, the events as they are recorded (by this process or any other), to
   * until or until signal aborts.
   */
  async *stream(q: EventQuery & { signal?: AbortSignal } = {}): AsyncGenerator<EngineEvent> {
    const f = q.filters ?? Filters.none();
    let cursor = this.store.lastSeq();
    if (q.since !== undefined || q.until !== undefined) yield* this.recorded(q, cursor);
    const untilUs = toUs(q.until);
    while (!q.signal?.aborted && (untilUs === undefined || nowUs() <= untilUs)) {
      const batch = this.store.after(cursor, BATCH);
      for (const s of batch) {
        cursor = s.seq;
        if (untilUs !== undefined && s.event.timeNano / 1000 > untilUs) return;
        if (eventMatches(f, s.event)) yield s.event;
      }
      if (batch.length === BATCH) continue;
      const wait = untilUs === undefined ? this.pollMs : Math.min(this.pollMs, Math.max(1, Math.ceil((untilUs - nowUs()) / 1000)));
      try {
        await sleep(wait, undefined, { signal: q.signal });
      } catch {
        return;
      }
    }
  }

  /** Calls listener with each event as stream() gives them; the function returned stops it. */
  subscribe(listener: (ev: EngineEvent) => void, q: EventQuery = {}): () => void {
    const abort = new AbortController();
    void (async () => {
      for await (const ev of this.stream({ ...q, signal: abort.signal })) listener(ev);
    })().catch((e) => this.debug(`events subscriber: ${(e as Error).message}`));
    return () => abort.abort();
  }
}
