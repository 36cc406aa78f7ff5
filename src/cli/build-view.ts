// The compact live view of a build on a terminal (docker's --progress=tty): one line per
// step with its state and time, the running steps' last output lines under them, redrawn
// in place; a failed step's whole output is printed once the view stops.
import type { BuildEvent } from "../build/types.js";

interface Row {
  name: string;
  started: number;
  state: "running" | "cached" | "done" | "error";
  seconds?: number;
  output: string;
}

const TAIL = 6;
const REDRAW_MS = 100;

export class TerminalView {
  private readonly rows = new Map<number, Row>();
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly begun = Date.now();
  private readonly warnings: string[] = [];

  constructor(private readonly out: NodeJS.WriteStream) {}

  handle(e: BuildEvent): void {
    if (e.kind === "warning") this.warnings.push(e.message);
    else if (e.kind === "start") this.rows.set(e.step, { name: e.name, started: Date.now(), state: "running", output: "" });
    else {
      const row = this.rows.get(e.step);
      if (row === undefined) return;
      if (e.kind === "output") row.output += e.data.toString("utf8");
      else if (e.kind === "cached") row.state = "cached";
      else if (e.kind === "done") Object.assign(row, { state: "done", seconds: e.seconds });
      else row.state = "error";
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, REDRAW_MS);
  }

  private lines(): string[] {
    const width = Math.max(40, this.out.columns ?? 80);
    const all = [...this.rows.values()];
    const finished = all.filter((r) => r.state !== "running").length;
    const out = [`[+] Building ${((Date.now() - this.begun) / 1000).toFixed(1)}s (${finished}/${all.length})`];
    for (const r of all) {
      const time = r.state === "cached" ? "CACHED" : r.state === "error" ? "ERROR" : `${(r.seconds ?? (Date.now() - r.started) / 1000).toFixed(1)}s`;
      const name = ` => ${r.name}`.slice(0, width - time.length - 2);
      out.push(`${name}${" ".repeat(Math.max(1, width - name.length - time.length - 1))}${time}`);
      if (r.state === "running") {
        for (const l of r.output.split("\n").filter((x) => x !== "").slice(-TAIL)) out.push(` => => ${l}`.slice(0, width - 1));
      }
    }
    return out;
  }

  private draw(): void {
    const lines = this.lines();
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}A\x1b[J`);
    this.out.write(lines.join("\n") + "\n");
    this.drawn = lines.length;
  }

  /** The last frame, the failed steps' output and the warnings. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.draw();
    for (const r of this.rows.values()) {
      if (r.state === "error" && r.output !== "") this.out.write(`------\n > ${r.name}:\n${r.output.replace(/\n?$/, "\n")}------\n`);
    }
    for (const w of this.warnings) this.out.write(`WARNING: ${w}\n`);
  }
}
