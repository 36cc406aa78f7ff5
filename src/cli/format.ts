// docker's ways of printing: aligned tables, human durations and sizes, Go-style
// `--format` templates and `--format json`.
import { MydockerError } from "../util/errors.js";

/** Columns separated by at least three spaces, as docker's tabwriter prints them. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + 3)))
      .join("")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}

/** docker's units.HumanDuration ("Less than a second", "About a minute", "3 hours"). */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 1) return "Less than a second";
  if (s === 1) return "1 second";
  if (s < 60) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (m === 1) return "About a minute";
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return "About an hour";
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

/** docker's units.HumanSize: decimal units, 3 significant digits ("1.23MB", "4.1kB"). */
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

function lookup(value: unknown, pathExpr: string): unknown {
  let v = value;
  for (const key of pathExpr.split(".").filter(Boolean)) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return "<no value>";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/**
 * A Go text/template subset: `{{.Field.Sub}}`, `{{json .X}}`, `{{upper .X}}`, `{{lower .X}}`,
 * `{{join .X ","}}`, `{{printf "%s" .X}}` and `{{.}}`; `\t` and `\n` escapes as docker allows.
 */
export function renderTemplate(template: string, value: unknown): string {
  const text = template.replace(/\\t/g, "\t").replace(/\\n/g, "\n");
  return text.replace(/\{\{\s*(.*?)\s*\}\}/g, (_m, expr: string) => {
    const parts = expr.match(/"[^"]*"|\S+/g) ?? [];
    const arg = (p: string | undefined) => {
      if (p === undefined) throw new MydockerError("EINVAL", `template: missing argument in {{${expr}}}`);
      if (p.startsWith('"')) return p.slice(1, -1);
      if (p === ".") return value;
      if (p.startsWith(".")) return lookup(value, p);
      throw new MydockerError("EINVAL", `template: can't evaluate "${p}" in {{${expr}}}`);
    };
    const fn = parts[0]!;
    switch (fn) {
      case "json":
        return JSON.stringify(arg(parts[1]) ?? null);
      case "upper":
        return show(arg(parts[1])).toUpperCase();
      case "lower":
        return show(arg(parts[1])).toLowerCase();
      case "join": {
        const list = arg(parts[1]);
        return Array.isArray(list) ? list.map(show).join(String(arg(parts[2]))) : show(list);
      }
      case "printf": {
        const fmt = String(arg(parts[1]));
        const rest = parts.slice(2).map((p) => show(arg(p)));
        let i = 0;
        return fmt.replace(/%[sdv]/g, () => rest[i++] ?? "");
      }
      default:
        return show(arg(fn));
    }
  });
}

/** `--format`: "json" prints one JSON object per line (docker's behaviour for lists), "table …" a table, else a template per item. */
export function formatItems<T>(items: T[], format: string, tableHeaders?: (t: string) => string): string {
  if (format === "json") return items.map((i) => JSON.stringify(i)).join("\n") + (items.length ? "\n" : "");
  if (format.startsWith("table ") && tableHeaders) {
    const tpl = format.slice(6);
    return [tableHeaders(tpl), ...items.map((i) => renderTemplate(tpl, i))].join("\n") + "\n";
  }
  return items.map((i) => renderTemplate(format, i) + "\n").join("");
}
