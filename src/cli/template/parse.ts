// Go's text/template syntax, as docker's --format takes it: text and {{actions}} with
// trim markers, pipelines, variables, parenthesised commands, if/else/range/with/end,
// break/continue and comments. Parsed once into a tree that exec.ts walks.
import { MydockerError } from "../../util/errors.js";

export type Operand =
  | { kind: "field"; base: "dot" | Operand | { variable: string }; path: string[] }
  | { kind: "dot" }
  | { kind: "variable"; name: string }
  | { kind: "ident"; name: string }
  | { kind: "literal"; value: unknown }
  | { kind: "pipeline"; pipeline: Pipeline };

export interface Pipeline {
  /** `$x :=` / `$i, $v :=` declares, `$x =` assigns. */
  decl: string[];
  assign: boolean;
  commands: Operand[][];
}

export type Node =
  | { kind: "text"; text: string }
  | { kind: "action"; pipeline: Pipeline }
  | { kind: "if" | "with"; pipeline: Pipeline; then: Node[]; else: Node[] }
  | { kind: "range"; pipeline: Pipeline; then: Node[]; else: Node[] }
  | { kind: "break" | "continue" };

export function templateError(message: string): MydockerError {
  return new MydockerError("EINVAL", `template parsing error: template: ${message}`);
}

interface Token {
  type: "field" | "variable" | "ident" | "string" | "number" | "char" | "(" | ")" | "|" | ":=" | "=" | "," | "dot";
  text: string;
  /** No space before it: `(x).Field`, `$v.Field`. */
  joined: boolean;
}

const TOKEN = /\s+|"(?:[^"\\\n]|\\.)*"|`[^`]*`|'(?:[^'\\]|\\.)+'|:=|[()|=,]|(?:\.[A-Za-z_]\w*)+|\$\w*(?:\.[A-Za-z_]\w*)*|[-+]?(?:0[xX][0-9a-fA-F]+|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)|[A-Za-z_]\w*|\./y;

function unquote(s: string): string {
  if (s.startsWith("`")) return s.slice(1, -1);
  try {
    return JSON.parse(s.replace(/\\([abfv'])/g, (_m, c: string) => ({ a: "\\u0007", b: "\\b", f: "\\f", v: "\\u000b", "'": "'" })[c]!).replace(/\\x([0-9a-fA-F]{2})/g, "\\u00$1")) as string;
  } catch {
    throw templateError(`bad string ${s}`);
  }
}

function lex(src: string): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  let spaced = true;
  while (TOKEN.lastIndex < src.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(src);
    if (!m || m.index !== at) throw templateError(`unexpected ${JSON.stringify(src[at])} in command`);
    const t = m[0];
    if (/^\s/.test(t)) {
      spaced = true;
      continue;
    }
    const c = t[0]!;
    const type: Token["type"] =
      c === '"' || c === "`" ? "string" : c === "'" ? "char" : t === "." ? "dot" : c === "." && /^\.\d/.test(t) ? "number"
        : c === "." ? "field" : c === "$" ? "variable" : /^[-+\d]/.test(t) ? "number" : /^[A-Za-z_]/.test(t) ? "ident" : (t as Token["type"]);
    out.push({ type, text: t, joined: !spaced });
    spaced = false;
  }
  return out;
}

class ActionParser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  done(): boolean {
    return this.i >= this.toks.length;
  }

  pipeline(): Pipeline {
    const decl: string[] = [];
    let assign = false;
    const save = this.i;
    while (this.toks[this.i]?.type === "variable" && !this.toks[this.i]!.text.includes(".")) {
      decl.push(this.toks[this.i++]!.text);
      const next = this.toks[this.i]?.type;
      if (next === ",") {
        this.i++;
        continue;
      }
      if (next === ":=" || next === "=") {
        assign = next === "=";
        this.i++;
        break;
      }
      decl.length = 0;
      this.i = save;
      break;
    }
    const commands: Operand[][] = [];
    for (;;) {
      const cmd: Operand[] = [];
      while (!this.done() && this.toks[this.i]!.type !== "|" && this.toks[this.i]!.type !== ")") cmd.push(this.operand());
      if (!cmd.length) throw templateError("missing value for command");
      commands.push(cmd);
      if (this.toks[this.i]?.type !== "|") break;
      this.i++;
    }
    return { decl, assign, commands };
  }

  private operand(): Operand {
    const t = this.toks[this.i++]!;
    let op: Operand;
    switch (t.type) {
      case "field":
        return { kind: "field", base: "dot", path: t.text.slice(1).split(".") };
      case "dot":
        op = { kind: "dot" };
        break;
      case "variable": {
        const [name, ...path] = t.text.split(".");
        return path.length ? { kind: "field", base: { variable: name! }, path } : { kind: "variable", name: name! };
      }
      case "string":
        return { kind: "literal", value: unquote(t.text) };
      case "char":
        return { kind: "literal", value: unquote(`"${t.text.slice(1, -1)}"`).codePointAt(0) };
      case "number":
        return { kind: "literal", value: Number(t.text) };
      case "ident":
        if (t.text === "true" || t.text === "false") return { kind: "literal", value: t.text === "true" };
        if (t.text === "nil") return { kind: "literal", value: null };
        return { kind: "ident", name: t.text };
      case "(": {
        const pipeline = this.pipeline();
        if (this.toks[this.i++]?.type !== ")") throw templateError("unclosed left paren");
        op = { kind: "pipeline", pipeline };
        break;
      }
      default:
        throw templateError(`unexpected "${t.text}" in operand`);
    }
    const next = this.toks[this.i];
    if (next?.type === "field" && next.joined) {
      this.i++;
      return { kind: "field", base: op, path: next.text.slice(1).split(".") };
    }
    return op;
  }
}

interface Frame {
  node: Extract<Node, { then: Node[] }> | undefined;
  list: Node[];
  inElse: boolean;
  /** An {{else if}}'s frame: closed by the {{end}} of the if it continues. */
  chained?: boolean;
}

/** The actions of a template, with the text around them (trim markers applied). */
function scan(src: string): { action?: string; text?: string }[] {
  const parts: { action?: string; text?: string }[] = [];
  let pos = 0;
  while (pos < src.length) {
    const open = src.indexOf("{{", pos);
    if (open < 0) {
      parts.push({ text: src.slice(pos) });
      break;
    }
    let text = src.slice(pos, open);
    let body = open + 2;
    if (/^-\s/.test(src.slice(body, body + 2))) {
      text = text.replace(/\s+$/, "");
      body += 1;
    }
    if (text) parts.push({ text });
    const close = src.slice(body).startsWith("/*") ? src.indexOf("*/", body) : body;
    const end = close < 0 ? -1 : src.indexOf("}}", close);
    if (end < 0) throw templateError("unclosed action");
    let action = src.slice(body, end);
    pos = end + 2;
    if (/\s-$/.test(action)) {
      action = action.slice(0, -1);
      pos = src.length - src.slice(pos).replace(/^\s+/, "").length;
    }
    parts.push({ action: action.trim() });
  }
  return parts;
}

export function parseTemplate(src: string): Node[] {
  const root: Frame = { node: undefined, list: [], inElse: false };
  const stack: Frame[] = [root];
  const top = () => stack[stack.length - 1]!;
  for (const part of scan(src)) {
    if (part.text !== undefined) {
      top().list.push({ kind: "text", text: part.text });
      continue;
    }
    const action = part.action!;
    if (action.startsWith("/*")) continue;
    const toks = lex(action);
    const word = toks[0]?.type === "ident" ? toks[0].text : "";
    const rest = () => {
      const p = new ActionParser(toks.slice(1));
      const pipe = p.pipeline();
      if (!p.done()) throw templateError(`unexpected token in {{${action}}}`);
      return pipe;
    };
    if (word === "if" || word === "with" || word === "range") {
      const node = { kind: word, pipeline: rest(), then: [], else: [] } as Extract<Node, { then: Node[] }>;
      top().list.push(node);
      stack.push({ node, list: node.then, inElse: false });
    } else if (word === "else") {
      const f = top();
      if (!f.node || f.inElse) throw templateError("unexpected {{else}}");
      f.inElse = true;
      f.list = f.node.else;
      const chained = toks[1]?.type === "ident" ? toks[1].text : "";
      if (chained === "if" || chained === "with") {
        // {{else if x}}: an if inside the else, closed by the same {{end}}.
        const p = new ActionParser(toks.slice(2));
        const node = { kind: chained, pipeline: p.pipeline(), then: [], else: [] } as Extract<Node, { then: Node[] }>;
        f.list.push(node);
        stack.push({ node, list: node.then, inElse: false, chained: true });
      } else if (toks.length > 1) throw templateError(`unexpected token in {{${action}}}`);
    } else if (word === "end") {
      if (stack.length === 1) throw templateError("unexpected {{end}}");
      while (stack.pop()!.chained);
    } else if (word === "break" || word === "continue") {
      if (!stack.some((f) => f.node?.kind === "range")) throw templateError(`{{${word}}} outside {{range}}`);
      top().list.push({ kind: word });
    } else if (word === "define" || word === "template" || word === "block") {
      throw templateError(`{{${word}}} is not supported in --format`);
    } else {
      const p = new ActionParser(toks);
      const pipeline = p.pipeline();
      if (!p.done()) throw templateError(`unexpected ")" in {{${action}}}`);
      top().list.push({ kind: "action", pipeline });
    }
  }
  if (stack.length > 1) throw templateError(`unexpected EOF: missing {{end}}`);
  return root.list;
}
