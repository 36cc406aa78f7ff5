// Time values as docker's command line takes and prints them. Times are Unix nanoseconds
// (bigint): log lines carry nanoseconds and `--since` must be able to name one exactly.
import { MydockerError } from "../util/errors.js";

export type UnixNanos = bigint;

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

const UNIT_NANOS: Record<string, number> = {
  ns: 1, us: 1e3, "µs": 1e3, "μs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9,
};

// Go's time.ParseDuration: "300ms", "-1.5h", "1h30m". Returns undefined where Go fails.
export function parseGoDuration(value: string): UnixNanos | undefined {
  const m = /^([-+]?)(.+)$/.exec(value);
  if (!m) return undefined;
  if (m[2] === "0") return 0n;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < m[2].length) {
    part.lastIndex = pos;
    const p = part.exec(m[2]);
    if (!p) return undefined;
    total += Number(p[1]) * UNIT_NANOS[p[2]];
    pos = part.lastIndex;
  }
  const nanos = BigInt(Math.round(total));
  return m[1] === "-" ? -nanos : nanos;
}

export function dateToNanos(d: Date): UnixNanos {
  return BigInt(d.getTime()) * NS_PER_MS;
}

export function nanosToDate(n: UnixNanos): Date {
  return new Date(Number(n / NS_PER_MS));
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9})\d*)?)?)?)?(Z|[+-]\d{2}:\d{2})?$/;

interface DateTimeParts {
  wallMs: number; // the wall-clock time read as if it were UTC
  fracNanos: bigint;
  zone: string | undefined;
  hasSeconds: boolean;
  hasTime: boolean;
}

function parseDateTime(value: string): DateTimeParts | undefined {
  const m = DATE_TIME.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1, 7).map((x) => (x === undefined ? undefined : Number(x)));
  if (y === undefined || mo === undefined || d === undefined) return undefined;
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth || h > 23 || mi > 59 || s > 59) return undefined;
  return {
    wallMs: Date.UTC(y, mo - 1, d, h, mi, s),
    fracNanos: BigInt((m[7] ?? "").padEnd(9, "0")),
    zone: m[8],
    hasSeconds: m[6] !== undefined,
    hasTime: m[4] !== undefined,
  };
}

function zoneOffsetMs(zone: string): number {
  if (zone === "Z") return 0;
  const sign = zone[0] === "-" ? -1 : 1;
  return sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
}

// A log line's RFC3339Nano timestamp (always with a zone).
export function parseRfc3339Nano(value: string): UnixNanos | undefined {
  const p = parseDateTime(value);
  if (!p || !p.hasSeconds || p.zone === undefined) return undefined;
  return BigInt(p.wallMs - zoneOffsetMs(p.zone)) * NS_PER_MS + p.fracNanos;
}

// Docker's RFC3339NanoFixed in UTC, as `docker logs -t` prints it.
export function formatRfc3339NanoFixed(n: UnixNanos): string {
  const secs = n / NS_PER_S - (n % NS_PER_S < 0n ? 1n : 0n);
  const frac = n - secs * NS_PER_S;
  const iso = new Date(Number(secs) * 1000).toISOString().slice(0, 19);
  return `${iso}.${frac.toString().padStart(9, "0")}Z`;
}

// Docker's `--since`/`--until` value (timetypes.GetTimestamp): a Go duration before `now`
// ("10m", "1h30m"), an RFC3339 date or date-time (local time when it has no zone), or a
// Unix timestamp with optional fraction ("1700000000.5").
export function parseDockerTime(value: string, now: Date = new Date()): UnixNanos {
  const duration = value === "0" ? undefined : parseGoDuration(value);
  if (duration !== undefined) return dateToNanos(now) - duration;
  const p = parseDateTime(value);
  if (p) {
    // Like Go's ParseInLocation with the reference's fixed zone offset.
    const offsetMs = p.zone === undefined ? -now.getTimezoneOffset() * 60_000 : zoneOffsetMs(p.zone);
    return BigInt(p.wallMs - offsetMs) * NS_PER_MS + p.fracNanos;
  }
  const unix = /^\+?(\d+)(?:\.(\d+))?$/.exec(value);
  if (!value.includes("-") && unix) {
    return BigInt(unix[1]) * NS_PER_S + BigInt((unix[2] ?? "").slice(0, 9).padEnd(9, "0"));
  }
  throw new MydockerError("EINVAL", `failed to parse value as time or duration: "${value}"`);
}
