// docker's --filter values (moby's filters.Args): key=value pairs, the values of one key
// alternatives, different keys all required. Shared by events, ps and images, from the
// command line's flags or the API's `filters` JSON.
import { FlagError, MydockerError } from "../util/errors.js";
import { dateToNanos, parseDockerTime } from "./timestamps.js";

export type FilterMap = Record<string, string[]>;

/** What Go's strconv.ParseBool takes. */
const GO_BOOLS = new Map<string, boolean>([
  ...["1", "t", "T", "TRUE", "true", "True"].map((w) => [w, true] as const),
  ...["0", "f", "F", "FALSE", "false", "False"].map((w) => [w, false] as const),
]);

export class Filters {
  private constructor(private readonly fields: Map<string, string[]>) {}

  /** From `--filter k=v` flags; keys outside accepted are refused as docker refuses them. */
  static fromFlags(flags: readonly string[], accepted: readonly string[]): Filters {
    const map: FilterMap = {};
    for (const f of flags) {
      const i = f.indexOf("=");
      if (i <= 0) throw new FlagError("EINVAL", `bad format of filter (expected name=value): ${f}`);
      (map[f.slice(0, i).trim().toLowerCase()] ??= []).push(f.slice(i + 1).trim());
    }
    return Filters.from(map, accepted);
  }

  /** From the API's {"key": ["v", ...]} (or the older {"key": {"v": true}}). */
  static from(map: FilterMap | Record<string, Record<string, boolean>>, accepted: readonly string[]): Filters {
    const fields = new Map<string, string[]>();
    for (const [k, v] of Object.entries(map)) {
      if (!accepted.includes(k)) throw new MydockerError("EINVAL", `invalid filter '${k}'`);
      const values = Array.isArray(v) ? v : Object.keys(v).filter((x) => v[x]);
      if (values.length) fields.set(k, [...new Set(values)]);
    }
    return new Filters(fields);
  }

  /**
   * What a prune's until, label and label! let it remove, as moby's prune filters: made
   * before until, carrying every label= given, and not carrying every label!= given. Read
   * (and a bad until refused) before anything is removed.
   */
  pruneSelection(now = new Date()): (o: { created: string; labels: Record<string, string> }) => boolean {
    const until = this.get("until");
    if (until.length > 1) throw new MydockerError("EINVAL", "more than one until filter specified");
    const before = until.length ? parseDockerTime(until[0]!, now) : undefined;
    return (o) =>
      (before === undefined || dateToNanos(new Date(o.created)) < before) &&
      this.labels("label", o.labels) &&
      (!this.has("label!") || !this.labels("label!", o.labels));
  }

  static none(): Filters {
    return new Filters(new Map());
  }

  has(key: string): boolean {
    return this.fields.has(key);
  }

  get(key: string): string[] {
    return this.fields.get(key) ?? [];
  }

  /**
   * A yes/no filter (images' dangling) as moby's GetBoolOrDefault reads it: Go's ParseBool
   * words, one value at most; undefined when not given.
   */
  bool(key: string): boolean | undefined {
    const vs = this.fields.get(key);
    if (!vs) return undefined;
    const value = vs.length === 1 ? GO_BOOLS.get(vs[0]!) : undefined;
    if (value === undefined) throw new MydockerError("EINVAL", `invalid filter '${key}=${vs.join(",")}'`);
    return value;
  }

  /** True without a filter on key, else when value is one of its values. */
  exact(key: string, value: string | undefined): boolean {
    const vs = this.fields.get(key);
    return !vs || (value !== undefined && vs.includes(value));
  }

  /** moby's Match: true without a filter on key, else when a value equals source or, as a regular expression, is found in it. */
  match(key: string, source: string): boolean {
    const vs = this.fields.get(key);
    return (
      !vs ||
      vs.some((v) => {
        if (v === source) return true;
        try {
          return new RegExp(v).test(source);
        } catch {
          return false;
        }
      })
    );
  }

  /** As exact, and a value of the filter that starts value matches too (ids by prefix). */
  fuzzy(key: string, value: string | undefined): boolean {
    const vs = this.fields.get(key);
    return !vs || (value !== undefined && vs.some((v) => value.startsWith(v)));
  }

  /** `label=k` and `label=k=v` against a set of labels: every one given must hold. */
  labels(key: string, labels: Record<string, string>): boolean {
    return this.get(key).every((f) => {
      const i = f.indexOf("=");
      const k = i < 0 ? f : f.slice(0, i);
      return Object.hasOwn(labels, k) && (i < 0 || labels[k] === f.slice(i + 1));
    });
  }

  toJSON(): FilterMap {
    return Object.fromEntries(this.fields);
  }
}
