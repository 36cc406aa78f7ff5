// The functions a --format template can call: Go's builtins (and, or, not, len, index,
// slice, eq…, print, printf, println) and docker's (json, split, join, title, lower,
// upper, pad, truncate), with Go's way of printing values.
import { MydockerError } from "../../util/errors.js";

export function execError(message: string): MydockerError {
  return new MydockerError("EINVAL", `template: ${message}`);
}

/** Go's %v: `[a b]` for a slice, `map[k:v]` for a map, `<nil>` for nil, `<no value>` for a missing key. */
export function goPrint(v: unknown, top = true): string {
  if (v === undefined) return top ? "<no value>" : "<nil>";
  if (v === null) return "<nil>";
  if (Array.isArray(v)) return `[${v.map((x) => goPrint(x, false)).join(" ")}]`;
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o).sort().map((k) => `${k}:${goPrint(o[k], false)}`).join(" ")}]`;
  }
  return String(v);
}

/** Go's notion of a true value in if, with, and, or, not. */
export function truth(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

function goQuote(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** fmt.Sprintf for the verbs templates use: %v %s %q %d %t %x %X %o %b %c %f %e %g %%, with flags, width and precision. */
export function sprintf(format: string, args: unknown[]): string {
  let n = 0;
  return format.replace(/%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g, (_whole, flags: string, width: string | undefined, prec: string | undefined, verb: string) => {
    if (verb === "%") return "%";
    if (n >= args.length) return `%!${verb}(MISSING)`;
    const a = args[n++];
    const num = typeof a === "number" ? a : Number(a);
    const p = prec === undefined ? undefined : Number(prec);
    let s: string;
    switch (verb) {
      case "v":
        s = goPrint(a);
        break;
      case "s":
        s = typeof a === "string" ? a : goPrint(a);
        if (p !== undefined) s = s.slice(0, p);
        break;
      case "q":
        s = goQuote(typeof a === "string" ? a : goPrint(a));
        break;
      case "t":
        s = typeof a === "boolean" ? String(a) : `%!t(${goPrint(a)})`;
        break;
      case "d":
        s = Number.isInteger(num) ? String(num) : `%!d(${goPrint(a)})`;
        if (flags.includes("+") && num >= 0) s = `+${s}`;
        break;
      case "x":
      case "X":
        s = typeof a === "string" ? Buffer.from(a).toString("hex") : Math.trunc(num).toString(16);
        if (verb === "X") s = s.toUpperCase();
        break;
      case "o":
        s = Math.trunc(num).toString(8);
        break;
      case "b":
        s = Math.trunc(num).toString(2);
        break;
      case "c":
        s = String.fromCodePoint(num);
        break;
      case "f":
      case "F":
        s = num.toFixed(p ?? 6);
        break;
      case "e":
        s = num.toExponential(p ?? 6).replace(/e([-+])(\d)$/, "e$10$2");
        break;
      case "g":
        s = p === undefined ? String(num) : String(Number(num.toPrecision(p)));
        break;
      default:
        return `%!${verb}(${goPrint(a)})`;
    }
    if (width !== undefined && s.length < Number(width)) {
      const pad = Number(width) - s.length;
      s = flags.includes("-") ? s + " ".repeat(pad) : flags.includes("0") && /[dfFeExXob]/.test(verb) ? s.replace(/^([-+]?)/, `$1${"0".repeat(pad)}`) : " ".repeat(pad) + s;
    }
    return s;
  }) + (n < args.length ? `%!(EXTRA ${args.slice(n).map((a) => goPrint(a)).join(", ")})` : "");
}

function compare(name: string, a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  throw execError(`error calling ${name}: incompatible types for comparison`);
}

function basicEqual(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a !== null && typeof a === "object") throw execError("error calling eq: non-comparable type");
  return a === b;
}

function length(v: unknown): number {
  if (typeof v === "string") return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (v !== null && typeof v === "object") return Object.keys(v).length;
  throw execError(`error calling len: len of type ${v === null || v === undefined ? "nil" : typeof v}`);
}

function index(v: unknown, ...keys: unknown[]): unknown {
  let cur = v;
  for (const k of keys) {
    if (Array.isArray(cur) || typeof cur === "string") {
      if (typeof k !== "number" || k < 0 || k >= cur.length) throw execError(`error calling index: index out of range: ${goPrint(k)}`);
      cur = typeof cur === "string" ? cur.charCodeAt(k) : cur[k];
    } else if (cur !== null && typeof cur === "object") {
      cur = (cur as Record<string, unknown>)[String(k)];
    } else {
      throw execError(`error calling index: can't index item of type ${cur === null || cur === undefined ? "nil" : typeof cur}`);
    }
  }
  return cur;
}

const str = (v: unknown) => (typeof v === "string" ? v : goPrint(v));

/** Go's fmt.Sprint: a space between two operands when neither is a string. */
function sprint(args: unknown[]): string {
  return args.map((a, i) => (i > 0 && typeof a !== "string" && typeof args[i - 1] !== "string" ? " " : "") + goPrint(a)).join("");
}

/** Functions that get their arguments evaluated; and/or are handled in exec (they stop early). */
export const FUNCS: Record<string, (...args: unknown[]) => unknown> = {
  not: (a) => !truth(a),
  len: length,
  index: (v, ...keys) => index(v, ...keys),
  slice: (v, i, j) => {
    if (typeof v !== "string" && !Array.isArray(v)) throw execError("error calling slice: can't slice item");
    return v.slice(i === undefined ? 0 : Number(i), j === undefined ? undefined : Number(j));
  },
  eq: (a, ...bs) => {
    if (!bs.length) throw execError("error calling eq: missing argument for comparison");
    return bs.some((b) => basicEqual(a, b));
  },
  ne: (a, b) => !basicEqual(a, b),
  lt: (a, b) => compare("lt", a, b) < 0,
  le: (a, b) => compare("le", a, b) <= 0,
  gt: (a, b) => compare("gt", a, b) > 0,
  ge: (a, b) => compare("ge", a, b) >= 0,
  print: (...args) => sprint(args),
  println: (...args) => args.map((a) => goPrint(a)).join(" ") + "\n",
  printf: (format, ...args) => sprintf(str(format), args),
  json: (v) => JSON.stringify(v ?? null),
  split: (s, sep) => str(s).split(str(sep)),
  join: (list, sep) => (Array.isArray(list) ? list.map(str).join(str(sep)) : str(list)),
  title: (s) => str(s).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, pre: string, c: string) => pre + c.toUpperCase()),
  lower: (s) => str(s).toLowerCase(),
  upper: (s) => str(s).toUpperCase(),
  pad: (s, prefix, suffix) => " ".repeat(Number(prefix)) + str(s) + " ".repeat(Number(suffix)),
  truncate: (s, n) => (str(s).length < Number(n) ? str(s) : str(s).slice(0, Number(n))),
};
