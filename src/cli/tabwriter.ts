// Go's text/tabwriter as docker's formatter sets it up (minwidth 10, padding 3, spaces):
// tab-terminated cells of consecutive lines form a column padded to its widest cell.
const MIN_WIDTH = 10;
const PADDING = 3;

const SURROGATE = /[\uD800-\uDFFF]/;
/** Characters, as Go counts runes: a string's length unless it holds a pair of surrogates (spreading every cell costs a listing of thousands). */
const width = (s: string) => (SURROGATE.test(s) ? [...s].length : s.length);

export function tabwrite(text: string): string {
  const trailingNewline = text.endsWith("\n");
  const lines = (trailingNewline ? text.slice(0, -1) : text).split("\n").map((l) => l.split("\t"));
  const widths: number[] = [];
  const out: string[] = [];
  const write = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      out.push(cells.map((c, j) => (j < widths.length && j < cells.length - 1 ? c + " ".repeat(Math.max(0, widths[j]! - width(c))) : c)).join("").trimEnd());
    }
  };
  // As Go's tabwriter.format: a column is a run of lines that all have a cell in it.
  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let row = line0; row < line1; row++) {
      if (column >= lines[row]!.length - 1) continue;
      write(line0, row);
      line0 = row;
      let w = MIN_WIDTH;
      for (; row < line1 && column < lines[row]!.length - 1; row++) w = Math.max(w, width(lines[row]![column]!) + PADDING);
      widths.push(w);
      format(line0, row);
      widths.pop();
      line0 = row;
      row--;
    }
    write(line0, line1);
  };
  format(0, lines.length);
  return out.join("\n") + (trailingNewline ? "\n" : "");
}
