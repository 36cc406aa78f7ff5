// What every handler uses: docker's error replies ({"message": ...} with the status its
// cause calls for), JSON bodies in and out, and docker's ways of writing a boolean query.
import type { IncomingMessage, ServerResponse } from "node:http";
import { MydockerError } from "../util/errors.js";
import { ApiError } from "./api-error.js";
import { checkBody, type Shape } from "./shapes/check.js";

export { ApiError };

const NOT_FOUND = new Set(["ENOCONTAINER", "ENOIMAGE", "image_not_found", "ENOVOLUME", "not-found", "ENOEXEC", "layer_missing", "ENONETWORK", "ENOENT"]);
const CONFLICT = new Set(["ENAMEINUSE", "ERUNNING", "ENOTRUNNING", "EPAUSED", "ENOTPAUSED", "image_in_use", "EVOLUMEINUSE", "exists", "ECHANGED", "bad-state", "image_conflict", "ENETEXISTS", "EINUSE", "EEXIST", "ENOTCONNECTED", "EOVERLAP", "EADDRINUSE"]);
const BAD_REQUEST = new Set(["EINVAL", "ENOCMD", "EAMBIGUOUS", "ETTY", "ENOTTY", "ENOUSER", "ENOGROUP", "ETOOBIG", "ENOTDIR", "EISDIR"]);

/** The HTTP status docker answers an error with. */
export function statusOf(e: unknown): number {
  if (e instanceof ApiError) return e.status;
  if (!(e instanceof MydockerError)) return 500;
  if (NOT_FOUND.has(e.code)) return 404;
  if (CONFLICT.has(e.code)) return 409;
  if (BAD_REQUEST.has(e.code) || e.code.startsWith("invalid")) return 400;
  return 500;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status = 204): void {
  res.writeHead(status);
  res.end();
}

export function sendError(res: ServerResponse, e: unknown): void {
  const message = (e as Error)?.message ?? String(e);
  if (res.headersSent) {
    // A stream already under way: it ends; the client sees it cut short.
    res.destroy();
    return;
  }
  sendJson(res, statusOf(e), { message });
}

/** The bodies of upgraded requests, read off their sockets before the stream began. */
const upgradeBodies = new WeakMap<IncomingMessage, Buffer>();

export function setUpgradeBody(req: IncomingMessage, body: Buffer): void {
  upgradeBodies.set(req, body);
}

/** The whole request body, refused past limit bytes. */
export async function readBody(req: IncomingMessage, limit = 16 * 1024 * 1024): Promise<Buffer> {
  const early = upgradeBodies.get(req);
  if (early) return early;
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ApiError(413, `the request body is over ${limit} bytes`);
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}

/** The JSON body ({} when there is none), checked against the Go type dockerd reads it as. */
export async function readJson<T>(req: IncomingMessage, goType: string, shape: Shape<T>): Promise<T> {
  const body = await readBody(req);
  if (body.length === 0) return {} as T;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch (e) {
    throw new ApiError(400, `invalid JSON in the request body: ${(e as Error).message}`);
  }
  return checkBody(parsed, goType, shape);
}

/** docker's boolean query values: 1/true/True/yes, anything else (or none) is false. */
export function flag(q: URLSearchParams, name: string, dflt = false): boolean {
  const v = q.get(name);
  if (v === null || v === "") return dflt;
  return ["1", "true", "True", "TRUE", "yes"].includes(v);
}

export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  if (!/^-?\d+$/.test(v)) throw new ApiError(400, `invalid ${name} "${v}": an integer is expected`);
  return Number(v);
}

/** A resize's ?h=ROWS&w=COLS. */
export function terminalSize(q: URLSearchParams): { h: number; w: number } {
  const h = intParam(q, "h") ?? 0;
  const w = intParam(q, "w") ?? 0;
  if (h < 0 || w < 0 || h > 65535 || w > 65535) throw new ApiError(400, `invalid terminal size ${h}x${w}`);
  return { h, w };
}

/** docker's `filters` query: {"key": ["value", ...]} (or the old {"key": {"value": true}}). */
export function filtersParam(q: URLSearchParams): Record<string, string[]> {
  const raw = q.get("filters");
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ApiError(400, `invalid filters: ${raw}`);
  }
  // {"key": ["value"]}, or the old {"key": {"value": true}}; anything else is refused, as dockerd does.
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");
  const flags = (v: unknown): v is Record<string, boolean> => typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "boolean");
  if (parsed === null) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) throw new ApiError(400, `invalid filters: ${raw}: a JSON object is expected`);
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (strings(v)) out[k] = v;
    else if (flags(v)) out[k] = Object.keys(v);
    else throw new ApiError(400, `invalid filters: ${raw}: the value of ${JSON.stringify(k)} is neither a list of strings nor an object of booleans`);
  }
  return out;
}

/** The filters as the command line writes them (key=value), for the engine's filter functions. */
export function filterArgs(filters: Record<string, string[]>): string[] {
  return Object.entries(filters).flatMap(([k, vs]) => vs.map((v) => `${k}=${v}`));
}
