// Request bodies checked against their types before any handler reads them. A body's shape is
// written once per TypeScript interface (Shape<T> makes the compiler hold the two together), and
// a value of the wrong JSON type is refused the way dockerd's Go decoder refuses it: a 400 with
// "invalid JSON: json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Env of
// type string", never a TypeError deep in a handler.
import { ApiError } from "../api-error.js";

/** Where a value sits: the Go struct that holds it and the field path from the body's root. */
interface Where {
  struct: string;
  path: string;
}

/** Checks one JSON value, answering it as T (null, as Go's decoder takes it, is "not given"). */
export type Check<T> = (v: unknown, at: Where) => T;

/**
 * One checker per field of T: a field added to the interface and not here does not compile, nor
 * does a checker of another type. Any field may be missing from the JSON, as in Go.
 */
export type Shape<T> = { [K in keyof Required<T>]-?: Check<T[K] | undefined> };

// Go names a number that is a number but not one the integer type holds (1.5, 70000 for a uint16).
function kindOf(v: unknown, integer: boolean): string {
  if (Array.isArray(v)) return "array";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return integer ? `number ${v}` : "number";
  return typeof v === "object" ? "object" : typeof v;
}

function refuse(v: unknown, at: Where, goType: string, integer = false): never {
  throw new ApiError(400, `invalid JSON: json: cannot unmarshal ${kindOf(v, integer)} into Go struct field ${at.struct}.${at.path} of type ${goType}`);
}

const given = (v: unknown): boolean => v !== null && v !== undefined;

export const str: Check<string | undefined> = (v, at) => (!given(v) ? undefined : typeof v === "string" ? v : refuse(v, at, "string"));

export const bool: Check<boolean | undefined> = (v, at) => (!given(v) ? undefined : typeof v === "boolean" ? v : refuse(v, at, "bool"));

/** A Go integer type: a whole JSON number within the type's range. */
export function int(goType: "int" | "int64" | "uint16" | "uint32" | "uint64" = "int64"): Check<number | undefined> {
  // int and int64 to 2^63-1, which a JSON number (a double) reads as 2^63: dockerd takes
  // 9223372036854775807, so that is taken too.
  const min = goType.startsWith("u") ? 0 : -(2 ** 63);
  const max = goType === "uint16" ? 0xffff : goType === "uint32" ? 0xffffffff : goType === "uint64" ? 2 ** 64 : 2 ** 63;
  return (v, at) => {
    if (!given(v)) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) return refuse(v, at, goType, true);
    return v;
  };
}

export function list<T>(item: Check<T | undefined>, goType: string): Check<T[] | undefined> {
  return (v, at) => {
    if (!given(v)) return undefined;
    if (!Array.isArray(v)) return refuse(v, at, `[]${goType}`);
    return v.map((x) => item(x, at) as T);
  };
}

/** docker's StrSlice: one string or an array of them. */
export const strSlice: Check<string[] | string | undefined> = (v, at) => (typeof v === "string" ? v : list(str, "string")(v, at));

export function dict<T>(value: Check<T | undefined>, goType: string): Check<Record<string, T> | undefined> {
  return (v, at) => {
    if (!given(v)) return undefined;
    if (typeof v !== "object" || Array.isArray(v)) return refuse(v, at, `map[string]${goType}`);
    // fromEntries defines each key as the object's own: a "__proto__" key stays a key.
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, value(x, at) as T]));
  };
}

/** Any JSON value (fields whose content mydocker only tests for presence). */
export const anyValue: Check<unknown> = (v) => v;

/** Go's struct{}: an object, its content unread. */
export const emptyObject: Check<object | undefined> = (v, at) => (!given(v) ? undefined : typeof v === "object" && !Array.isArray(v) ? {} : refuse(v, at, "struct {}"));

function folded(checks: Record<string, unknown>, key: string): string | undefined {
  const lower = key.toLowerCase();
  return Object.keys(checks).find((k) => k.toLowerCase() === lower);
}

/**
 * A Go struct: its fields' errors name it and the path from the body's root (as dockerd built
 * with Go before 1.24 writes it: embedded structs, such as HostConfig's Resources, unnamed).
 */
export function struct<T>(goType: string, shape: Shape<T>): Check<T | undefined> {
  return (v, at) => {
    if (!given(v)) return undefined;
    if (typeof v !== "object" || Array.isArray(v)) return refuse(v, at, goType);
    // As Go's decoder: a key names the field spelled so, else one spelled so but for case;
    // a later key for the same field wins; unknown keys are ignored.
    const checks = shape as Record<string, Check<unknown>>;
    const out: Record<string, unknown> = {};
    for (const [key, x] of Object.entries(v as Record<string, unknown>)) {
      const field = Object.hasOwn(checks, key) ? key : folded(checks, key);
      if (field === undefined) continue;
      const checked = checks[field](x, { struct: goType, path: at.path ? `${at.path}.${field}` : field });
      if (checked === undefined) delete out[field];
      else out[field] = checked;
    }
    return out as T;
  };
}

/** A whole request body (a JSON object, or none: {}), as the Go type dockerd decodes it into. */
export function checkBody<T>(body: unknown, goType: string, shape: Shape<T>): T {
  if (body === undefined || body === null) return {} as T;
  if (typeof body !== "object" || Array.isArray(body)) throw new ApiError(400, `invalid JSON: json: cannot unmarshal ${kindOf(body, false)} into Go value of type ${goType}`);
  return struct(goType, shape)(body, { struct: goType, path: "" }) as T;
}
