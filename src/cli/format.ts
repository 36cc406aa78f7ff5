// docker's ways of printing: aligned tables, human durations and sizes, Go-style
// `--format` templates and `--format json`.
import type { ImageRemoval } from "../image/index.js";
import { compileTemplate } from "./template/exec.js";
import { MydockerError } from "../util/errors.js";
import { tabwrite } from "./tabwriter.js";

/** A table with docker's column alignment (its tabwriter: columns at least 10 wide, 3 spaces apart). */
export function table(headers: string[], rows: string[][]): string {
  return tabwrite([headers, ...rows].map((r) => r.join("\t") + "\n").join(""));
}

export { humanDuration } from "../engine/durations.js";

/** docker's units.HumanSize: decimal units, 3 significant digits ("1.23MB", "4.1kB"). */
/** docker's "Deleted Images:" lines of a prune: untagged NAME, deleted ID. */
export function imageRemovalLines(items: readonly ImageRemoval[]): string[] {
  return items.map((i) => ("Untagged" in i ? `untagged: ${i.Untagged}` : `deleted: ${i.Deleted}`));
}

export function humanSize(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB", "PB"];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(3))}${units[i]}`;
}

/** Binary units as `docker stats` prints them ("1.5MiB"). */
export function binarySize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number(v.toFixed(2))}${units[i]}`;
}

/** docker's escapes in a --format: a written `\t` or `\n` is a tab or a newline. */
function unescape(format: string): string {
  return format.replace(/\\t/g, "\t").replace(/\\n/g, "\n");
}

/**
 * The --format of docker's inspect, version, info and events, parsed before anything is
 * asked: a template that does not parse exits 64 there (their cli.StatusError), 1 elsewhere.
 */
export function statusTemplate(template: string): (value: unknown) => string {
  let tpl: ReturnType<typeof compileTemplate>;
  try {
    tpl = compileTemplate(unescape(template));
  } catch (e) {
    throw e instanceof MydockerError ? new MydockerError(e.code, e.message, 64) : e;
  }
  return (value) => tpl.render(value);
}

/** A Go template (text/template, with docker's functions) applied to one value. */
export function renderTemplate(template: string, value: unknown): string {
  return compileTemplate(unescape(template)).render(value);
}

/** How a list prints by default, and the header of each field in a `table` format. */
export interface ListFormat {
  /** The default `table` template, e.g. `{{.ID}}\t{{.Names}}`. */
  table: string;
  /** Column headers by field name; a field not named here is headed by its name in capitals. */
  headers: Record<string, string>;
}

/**
 * docker's --format for a list: none or `table` is the default table, `table TEMPLATE` a
 * header row and a row per item, `json` one JSON object per line, anything else a template
 * per item; tab-separated cells are aligned as docker aligns them.
 */
export function formatList(items: readonly unknown[], format: string | undefined, list: ListFormat): string {
  const f = format?.trim() ?? "";
  if (f === "json") return items.map((i) => JSON.stringify(i) + "\n").join("");
  const isTable = f === "" || f === "table" || /^table\s/.test(f);
  const tpl = compileTemplate(unescape(f === "" || f === "table" ? list.table : isTable ? f.slice(5).trim() : f));
  const rows = items.map((i) => tpl.render(i) + "\n");
  if (isTable) rows.unshift(tpl.header((field) => list.headers[field] ?? field.replace(/([a-z])([A-Z])/g, "$1 $2").toUpperCase()) + "\n");
  return tabwrite(rows.join(""));
}
