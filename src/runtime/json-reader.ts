// Typed reading of untrusted JSON: every fault names its JSON path
// (e.g. "config.json: process.args[1]: must be a string").
import { MydockerError } from "../util/errors.js";

type JsonObject = Record<string, unknown>;

export class JsonReader {
  constructor(private readonly file: string) {}

  fail(path: string, message: string): never {
    throw new MydockerError("invalid-config", `${this.file}: ${path || "(root)"}: ${message}`);
  }

  object(v: unknown, path: string): JsonObject {
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.fail(path, "must be an object");
    return v as JsonObject;
  }

  array(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) this.fail(path, "must be an array");
    return v;
  }

  string(v: unknown, path: string): string {
    if (typeof v !== "string") this.fail(path, "must be a string");
    return v;
  }

  boolean(v: unknown, path: string): boolean {
    if (typeof v !== "boolean") this.fail(path, "must be a boolean");
    return v;
  }

  number(v: unknown, path: string): number {
    if (typeof v !== "number" || !Number.isFinite(v)) this.fail(path, "must be a number");
    return v;
  }

  integer(v: unknown, path: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
    // Integers beyond 2^53 (uint64 maxima) arrive rounded; accept them as numbers.
    if (typeof v !== "number" || !Number.isInteger(v)) this.fail(path, "must be an integer");
    if (v < min || v > max) this.fail(path, `must be between ${min} and ${max}`);
    return v;
  }

  absolutePath(v: unknown, path: string): string {
    const s = this.string(v, path);
    if (!s.startsWith("/")) this.fail(path, "must be an absolute path");
    return s;
  }

  oneOf<T extends string>(v: unknown, path: string, allowed: readonly T[]): T {
    const s = this.string(v, path);
    if (!(allowed as readonly string[]).includes(s)) this.fail(path, `must be one of ${allowed.join(", ")}`);
    return s as T;
  }

  strings(v: unknown, path: string): string[] {
    return this.array(v, path).map((e, i) => this.string(e, `${path}[${i}]`));
  }

  stringMap(v: unknown, path: string): Record<string, string> {
    const o = this.object(v, path);
    const out: Record<string, string> = {};
    for (const [k, e] of Object.entries(o)) out[k] = this.string(e, `${path}.${k}`);
    return out;
  }

  /** Reads o[key] with read when present; undefined (absent) or null mean "not set". */
  optional<T>(o: JsonObject, key: string, path: string, read: (v: unknown, p: string) => T): T | undefined {
    const v = o[key];
    return v === undefined || v === null ? undefined : read(v, `${path}${path ? "." : ""}${key}`);
  }

  required<T>(o: JsonObject, key: string, path: string, read: (v: unknown, p: string) => T): T {
    const p = `${path}${path ? "." : ""}${key}`;
    if (o[key] === undefined || o[key] === null) this.fail(p, "is required");
    return read(o[key], p);
  }

  /**
   * Refuses o[key] when it is set: a field of the spec this runtime does not carry out,
   * which must never be dropped silently. An empty object or list asks for nothing.
   */
  refuse(o: JsonObject, key: string, path: string, why: string): void {
    const v = o[key];
    if (v === undefined || v === null || v === "") return;
    if (typeof v === "object" && Object.keys(v).length === 0) return;
    this.unsupported(`${path}${path ? "." : ""}${key}`, why);
  }

  unsupported(path: string, why: string): never {
    throw new MydockerError("unsupported", `${this.file}: ${path}: not supported: ${why}`);
  }

  list<T>(v: unknown, path: string, read: (e: unknown, p: string) => T): T[] {
    return this.array(v, path).map((e, i) => read(e, `${path}[${i}]`));
  }
}

/** Drops the keys whose value is undefined, so validated objects compare cleanly. */
export function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
