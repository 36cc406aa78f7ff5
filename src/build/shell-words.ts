// Docker's word rules for instruction arguments (ENV, ARG, LABEL, COPY, WORKDIR…): quotes,
// the escape character, and variable substitution with $VAR, ${VAR}, ${VAR:-default},
// ${VAR-default}, ${VAR:+alt}, ${VAR+alt} and ${VAR:?message}. RUN, CMD and ENTRYPOINT in
// shell form are not expanded here: their shell does it, with the build's variables as env.
import { MydockerError } from "../util/errors.js";

export type Vars = ReadonlyMap<string, string>;

function badSubstitution(text: string, why: string): MydockerError {
  return new MydockerError("dockerfile_parse", `${why} in "${text}"`, 1);
}

/** Splits at unquoted white space, keeping quotes and escapes for expandWord. */
export function splitWords(text: string, escape = "\\"): string[] {
  const words: string[] = [];
  let cur = "";
  let quote = "";
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === escape && quote !== "'" && i + 1 < text.length) {
      cur += c + text[++i]!;
      inWord = true;
    } else if (quote !== "") {
      if (c === quote) quote = "";
      cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      cur += c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote !== "") throw badSubstitution(text, "unterminated quote");
  if (inWord) words.push(cur);
  return words;
}

/** The name and modifier of a ${...} at text[i] (just after "${"); returns where it ended. */
function braced(text: string, start: number, vars: Vars, escape: string): { value: string; end: number } {
  const close = matchingBrace(text, start);
  if (close < 0) throw badSubstitution(text, "missing '}'");
  const inner = text.slice(start, close);
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])(.*))?$/s.exec(inner);
  if (!m) throw badSubstitution(text, `bad substitution \${${inner}}`);
  const [, name, op, word = ""] = m;
  const value = vars.get(name!);
  const set = value !== undefined;
  const nonEmpty = set && value !== "";
  const alt = () => expandWord(word, vars, escape);
  switch (op) {
    case undefined:
      return { value: value ?? "", end: close };
    case ":-":
      return { value: nonEmpty ? value! : alt(), end: close };
    case "-":
      return { value: set ? value! : alt(), end: close };
    case ":+":
      return { value: nonEmpty ? alt() : "", end: close };
    case "+":
      return { value: set ? alt() : "", end: close };
    default:
      if ((op === ":?" && !nonEmpty) || (op === "?" && !set)) throw badSubstitution(text, `${name}: ${alt() || "is not set"}`);
      return { value: value!, end: close };
  }
}

function matchingBrace(text: string, start: number): number {
  let depth = 1;
  for (let i = start; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return i;
  }
  return -1;
}

/** One word: quotes removed, escapes applied, variables substituted. */
export function expandWord(text: string, vars: Vars, escape = "\\"): string {
  let out = "";
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = "";
      else out += c;
    } else if (c === escape && i + 1 < text.length) {
      const next = text[++i]!;
      // Inside double quotes only these lose the escape, as in a shell.
      if (quote === '"' && next !== '"' && next !== "$" && next !== escape) out += c;
      out += next;
    } else if (c === '"') {
      quote = quote === '"' ? "" : '"';
    } else if (c === "'" && quote === "") {
      quote = "'";
    } else if (c === "$" && text[i + 1] === "{") {
      const r = braced(text, i + 2, vars, escape);
      out += r.value;
      i = r.end;
    } else if (c === "$" && /[A-Za-z_]/.test(text[i + 1] ?? "")) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))![0];
      out += vars.get(name) ?? "";
      i += name.length;
    } else out += c;
  }
  return out;
}

/** Words split at white space, each expanded. */
export function expandWords(text: string, vars: Vars, escape = "\\"): string[] {
  return splitWords(text, escape).map((w) => expandWord(w, vars, escape));
}

/**
 * KEY=VALUE pairs (ENV, LABEL, ARG): each word split at its first "=", the value expanded.
 * `ENV KEY rest of line` (the old form, no "=") is one pair, when legacy allows it.
 */
export function keyValues(text: string, vars: Vars, escape: string, legacy: boolean): [string, string][] {
  const words = splitWords(text, escape);
  if (words.length > 0 && !words[0]!.includes("=") && legacy) {
    const key = expandWord(words[0]!, vars, escape);
    const rest = text.trim().slice(words[0]!.length).trim();
    return [[key, expandWord(rest, vars, escape)]];
  }
  return words.map((w) => {
    const eq = w.indexOf("=");
    if (eq <= 0) throw new MydockerError("dockerfile_parse", `"${w}" is not KEY=VALUE`, 1);
    return [expandWord(w.slice(0, eq), vars, escape), expandWord(w.slice(eq + 1), vars, escape)];
  });
}

/** A JSON string array (exec form), or undefined when text is not one. */
export function jsonForm(text: string): string[] | undefined {
  const t = text.trim();
  if (!t.startsWith("[")) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  } catch {
    // Not JSON: docker then takes it as shell form.
  }
  return undefined;
}
