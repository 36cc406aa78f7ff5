// The shape of src/: no import cycles (type-only and dynamic imports count: a cycle of
// types is still two modules that cannot be understood apart) and no file over 400 lines.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../src");
const MAX_LINES = 400;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

/** The src files a file imports: static, `import type`, `export ... from` and `import("...")`. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
  const out: string[] = [];
  for (const { fileName } of importedFiles) {
    if (!fileName.startsWith(".")) continue;
    const target = path.resolve(path.dirname(file), fileName.replace(/\.js$/, ".ts"));
    // One that resolves to nothing is tsc's to report, not a cycle.
    const found = [target, path.join(target, "index.ts")].find((p) => fs.existsSync(p) && fs.statSync(p).isFile());
    if (found) out.push(found);
  }
  return out;
}

function rel(p: string): string {
  return path.relative(SRC, p);
}

/** Strongly connected components (Tarjan): every one with two files or more, or a file importing itself, holds a cycle. */
function cyclicComponents(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const comp: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      comp.push(w);
    } while (w !== v);
    if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(comp);
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

/**
 * One concrete cycle through the component's first file, as "a -> b -> a" (shortest, by
 * breadth-first search), and the other files caught in the same tangle.
 */
function tangle(graph: Map<string, string[]>, comp: string[]): string {
  const cycle = cycleIn(graph, comp);
  const others = comp.map(rel).filter((f) => !cycle.includes(f)).sort();
  return others.length > 0 ? `${cycle.join(" -> ")} (also in the tangle: ${others.join(", ")})` : cycle.join(" -> ");
}

function cycleIn(graph: Map<string, string[]>, comp: string[]): string[] {
  const members = new Set(comp);
  const start = [...comp].sort()[0]!;
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const pathBack = [v];
        while (pathBack[0] !== start) pathBack.unshift(prev.get(pathBack[0]!)!);
        return [...pathBack, start].map(rel);
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  throw new Error(`no cycle through ${rel(start)} in its component`);
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

test("the import graph of src/ is parsed: files import each other", () => {
  // Guards the test itself: a parser that found no imports would find no cycles either.
  assert.ok(files.length > 50, `only ${files.length} files under ${SRC}`);
  assert.ok([...graph.values()].flat().length > files.length, "far fewer imports than files: the parser misses them");
  const cyclic = new Map([
    ["a.ts", ["b.ts"]],
    ["b.ts", ["c.ts"]],
    ["c.ts", ["a.ts"]],
    ["d.ts", ["a.ts"]],
  ]);
  assert.deepEqual(cyclicComponents(cyclic).map((c) => c.sort()), [["a.ts", "b.ts", "c.ts"]]);
});

test("src/ has no import cycles (type-only and dynamic imports included)", () => {
  const cycles = cyclicComponents(graph).map((c) => tangle(graph, c));
  assert.deepEqual(cycles, [], `import cycles:\n  ${cycles.join("\n  ")}`);
});

test(`no src/ file is over ${MAX_LINES} lines`, () => {
  const long = files
    .map((f) => ({ f: rel(f), lines: fs.readFileSync(f, "utf8").split("\n").length - 1 }))
    .filter((x) => x.lines > MAX_LINES)
    .map((x) => `${x.f}: ${x.lines} lines`);
  assert.deepEqual(long, [], `files over ${MAX_LINES} lines:\n  ${long.join("\n  ")}`);
});
