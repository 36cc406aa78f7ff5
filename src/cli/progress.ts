// Progress of long image work: a live line per layer on a terminal, one plain line per
// step otherwise; docker's words for each.
import { LayerWords, type Progress, type ProgressEvent } from "../image/index.js";
import { humanSize } from "./format.js";

export function progressPrinter(quiet: boolean, out: NodeJS.WriteStream = process.stderr): Progress | undefined {
  if (quiet) return undefined;
  if (!out.isTTY) {
    const seen = new Set<string>();
    return (e: ProgressEvent) => {
      if (e.kind === "step") out.write(e.message + "\n");
      else if (!seen.has(`${e.id}:${e.action}`)) {
        seen.add(`${e.id}:${e.action}`);
        out.write(`${e.id}: ${LayerWords[e.action]}\n`);
      }
    };
  }
  const order: string[] = [];
  const lines = new Map<string, string>();
  let drawn = 0;
  const bar = (cur: number, total: number) => {
    const width = 40;
    const n = Math.min(width, Math.floor((cur / total) * width));
    return `[${"=".repeat(Math.max(0, n - 1))}${n > 0 ? ">" : ""}${" ".repeat(width - n)}]`;
  };
  return (e: ProgressEvent) => {
    if (e.kind === "step") {
      // Below the layers' last state, which stays on the screen (as docker's does).
      out.write(`${e.message}\n`);
      drawn = 0;
      order.length = 0;
      lines.clear();
      return;
    }
    if (drawn) out.write(`\x1b[${drawn}A`);
    if (!lines.has(e.id)) order.push(e.id);
    const amount =
      e.current === undefined ? "" : e.total ? `${bar(e.current, e.total)} ${humanSize(e.current)}/${humanSize(e.total)}` : humanSize(e.current);
    lines.set(e.id, `${e.id}: ${LayerWords[e.action].padEnd(22)} ${amount}`);
    for (const id of order) out.write(`\x1b[2K${lines.get(id)}\n`);
    drawn = order.length;
  };
}
