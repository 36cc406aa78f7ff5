// Runs a parsed template against a value, as Go's text/template executes it.
import { FUNCS, execError, goPrint, truth } from "./funcs.js";
import { parseTemplate, type Node, type Operand, type Pipeline } from "./parse.js";

class Break {}
class Continue {}

type Vars = Map<string, unknown>;

const NO_ARGS: readonly unknown[] = [];

/** A table's header row: each action prints the header of the first field it names. */
export type HeaderOf = (field: string) => string;

function firstField(p: Pipeline): string | undefined {
  for (const cmd of p.commands) {
    for (const op of cmd) {
      if (op.kind === "field") return op.path[0];
      if (op.kind === "pipeline") {
        const f = firstField(op.pipeline);
        if (f) return f;
      }
    }
  }
  return undefined;
}

function field(base: unknown, path: string[], args: readonly unknown[]): unknown {
  let v = base;
  let holder: unknown;
  for (const key of path) {
    if (v === null || v === undefined || typeof v !== "object") return undefined;
    holder = v;
    v = (v as Record<string, unknown>)[key];
  }
  // A method, as docker's `.Label "key"` on a row.
  if (typeof v === "function") return (v as (...a: unknown[]) => unknown).apply(holder, [...args]);
  if (args.length) throw execError(`can't give argument to non-function .${path.join(".")}`);
  return v;
}

class Exec {
  constructor(private readonly header?: HeaderOf) {}

  nodes(nodes: Node[], dot: unknown, vars: Vars): string {
    let out = "";
    for (const n of nodes) out += this.node(n, dot, vars);
    return out;
  }

  private node(n: Node, dot: unknown, vars: Vars): string {
    switch (n.kind) {
      case "text":
        return n.text;
      case "break":
        throw new Break();
      case "continue":
        throw new Continue();
      case "action": {
        if (this.header) {
          const f = firstField(n.pipeline);
          return f === undefined || n.pipeline.decl.length ? "" : this.header(f);
        }
        const v = this.pipeline(n.pipeline, dot, vars);
        return n.pipeline.decl.length ? "" : goPrint(v);
      }
      case "if":
      case "with": {
        if (this.header) return this.nodes(n.then, dot, new Map(vars));
        const scope = new Map(vars);
        const v = this.pipeline(n.pipeline, dot, scope);
        if (truth(v)) return this.nodes(n.then, n.kind === "with" ? v : dot, scope);
        return this.nodes(n.else, dot, scope);
      }
      case "range":
        return this.range(n, dot, vars);
    }
  }

  private range(n: Extract<Node, { kind: "range" }>, dot: unknown, vars: Vars): string {
    if (this.header) return this.nodes(n.then, dot, new Map(vars));
    const scope = new Map(vars);
    const decl = n.pipeline.decl;
    const v = this.pipeline({ ...n.pipeline, decl: [] }, dot, scope);
    let entries: [unknown, unknown][];
    if (v === undefined || v === null) entries = [];
    else if (Array.isArray(v)) entries = v.map((x, i) => [i, x]);
    else if (typeof v === "object") entries = Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]);
    else if (typeof v === "number" && Number.isInteger(v)) entries = Array.from({ length: Math.max(0, v) }, (_x, i) => [i, i]);
    else throw execError(`range can't iterate over ${goPrint(v)}`);
    if (!entries.length) return this.nodes(n.else, dot, scope);
    let out = "";
    for (const [k, x] of entries) {
      const inner = new Map(scope);
      if (decl.length === 1) inner.set(decl[0]!, x);
      if (decl.length === 2) {
        inner.set(decl[0]!, k);
        inner.set(decl[1]!, x);
      }
      try {
        out += this.nodes(n.then, x, inner);
      } catch (e) {
        if (e instanceof Break) break;
        if (!(e instanceof Continue)) throw e;
      }
    }
    return out;
  }

  private pipeline(p: Pipeline, dot: unknown, vars: Vars): unknown {
    let piped: unknown[] = [];
    let v: unknown;
    for (const cmd of p.commands) {
      v = this.command(cmd, dot, vars, piped);
      piped = [v];
    }
    for (const name of p.decl) {
      if (p.assign && !vars.has(name)) throw execError(`undefined variable: ${name}`);
      vars.set(name, v);
    }
    return v;
  }

  private command(cmd: Operand[], dot: unknown, vars: Vars, piped: unknown[]): unknown {
    // A lone field, as every cell of a table row: no argument lists made (stats prints thousands).
    if (cmd.length === 1 && piped.length === 0 && cmd[0]!.kind === "field") return field(this.base(cmd[0]!, dot, vars), cmd[0]!.path, NO_ARGS);
    const [head, ...rest] = cmd;
    const args = () => [...rest.map((o) => this.operand(o, dot, vars)), ...piped];
    if (head!.kind === "ident") {
      const name = head!.name;
      if (name === "and" || name === "or") {
        // Go 1.18+: stops at the first argument that decides, and returns it.
        const ops = [...rest.map((o) => () => this.operand(o, dot, vars)), ...piped.map((x) => () => x)];
        if (!ops.length) throw execError(`wrong number of args for ${name}: want at least 1 got 0`);
        let last: unknown;
        for (const op of ops) {
          last = op();
          if (truth(last) === (name === "or")) return last;
        }
        return last;
      }
      const fn = FUNCS[name];
      if (!fn) throw execError(`function "${name}" not defined`);
      return fn(...args());
    }
    if (head!.kind === "field") return field(this.base(head!, dot, vars), head!.path, args());
    if (rest.length || piped.length) throw execError("can't give argument to non-function");
    return this.operand(head!, dot, vars);
  }

  private base(op: Extract<Operand, { kind: "field" }>, dot: unknown, vars: Vars): unknown {
    if (op.base === "dot") return dot;
    if ("variable" in op.base) return this.variable(op.base.variable, vars);
    return this.operand(op.base, dot, vars);
  }

  private variable(name: string, vars: Vars): unknown {
    if (!vars.has(name)) throw execError(`undefined variable: ${name}`);
    return vars.get(name);
  }

  private operand(op: Operand, dot: unknown, vars: Vars): unknown {
    switch (op.kind) {
      case "dot":
        return dot;
      case "literal":
        return op.value;
      case "variable":
        return this.variable(op.name, vars);
      case "field":
        return field(this.base(op, dot, vars), op.path, []);
      case "pipeline":
        return this.pipeline(op.pipeline, dot, new Map(vars));
      case "ident": {
        if (op.name === "and" || op.name === "or" || FUNCS[op.name]) return this.command([op], dot, vars, []);
        throw execError(`function "${op.name}" not defined`);
      }
    }
  }
}

/** A compiled template: run it on a value, or print the header row of a table. */
export interface Template {
  render(value: unknown): string;
  header(of: HeaderOf): string;
}

/**
 * A template of text and `{{.Field.Path}}` actions alone (every list's default table, most
 * --format strings): each field printed as the interpreter prints it, with no interpreter.
 * A listing renders it once per row, a thousand rows for `ps -a` beside 1,000 containers.
 */
function plainFields(nodes: Node[]): ((value: unknown) => string) | undefined {
  const parts: (string | string[])[] = [];
  for (const n of nodes) {
    if (n.kind === "text") {
      parts.push(n.text);
      continue;
    }
    if (n.kind !== "action" || n.pipeline.decl.length > 0 || n.pipeline.commands.length !== 1) return undefined;
    const [cmd] = n.pipeline.commands;
    const op = cmd?.length === 1 ? cmd[0] : undefined;
    if (op?.kind !== "field" || op.base !== "dot") return undefined;
    parts.push(op.path);
  }
  return (value) => {
    let out = "";
    for (const p of parts) out += typeof p === "string" ? p : goPrint(field(value, p, NO_ARGS));
    return out;
  };
}

export function compileTemplate(source: string): Template {
  const nodes = parseTemplate(source);
  const plain = plainFields(nodes);
  return {
    render: plain ?? ((value) => new Exec().nodes(nodes, value, new Map([["$", value]]))),
    header: (of) => new Exec(of).nodes(nodes, undefined, new Map([["$", undefined]])),
  };
}
