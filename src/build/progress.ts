// Build progress as docker's plain output (BuildKit's --progress=plain): each step a block
// "#N NAME", its output lines with the seconds since it started, then "#N CACHED",
// "#N DONE 0.4s" or "#N ERROR: …". Shared by the command line and anything else that
// shows a build.
import type { BuildEvent } from "./types.js";

interface StepView {
  name: string;
  started: number;
  /** The last output line, not yet ended. */
  partial: string;
}

export class PlainProgress {
  private readonly steps = new Map<number, StepView>();
  private last: number | undefined;

  constructor(private readonly write: (text: string) => void) {}

  /** A block starts with its header again when another step wrote in between. */
  private focus(step: number): void {
    if (this.last === step) return;
    const view = this.steps.get(step);
    if (view === undefined) return;
    if (this.last !== undefined) this.write("\n");
    this.write(`#${step} ${view.name}\n`);
    this.last = step;
  }

  private flushPartial(step: number, view: StepView): void {
    if (view.partial === "") return;
    this.write(`#${step} ${this.elapsed(view)} ${view.partial}\n`);
    view.partial = "";
  }

  private elapsed(view: StepView): string {
    return ((Date.now() - view.started) / 1000).toFixed(3);
  }

  handle(e: BuildEvent): void {
    if (e.kind === "warning") {
      this.write(`${this.last !== undefined ? "\n" : ""}WARNING: ${e.message}\n`);
      this.last = undefined;
      return;
    }
    if (e.kind === "start") {
      this.steps.set(e.step, { name: e.name, started: Date.now(), partial: "" });
      this.focus(e.step);
      return;
    }
    const view = this.steps.get(e.step);
    if (view === undefined) return;
    this.focus(e.step);
    switch (e.kind) {
      case "output": {
        const lines = (view.partial + e.data.toString("utf8")).split("\n");
        view.partial = lines.pop()!;
        for (const line of lines) this.write(`#${e.step} ${this.elapsed(view)} ${line}\n`);
        break;
      }
      case "cached":
        this.write(`#${e.step} CACHED\n`);
        break;
      case "done":
        this.flushPartial(e.step, view);
        this.write(`#${e.step} DONE ${e.seconds.toFixed(1)}s\n`);
        break;
      case "error":
        this.flushPartial(e.step, view);
        this.write(`#${e.step} ERROR: ${e.message}\n`);
        break;
    }
  }

  /** docker's last block: the image written and named. */
  finish(id: string, names: string[]): void {
    const n = Math.max(0, ...this.steps.keys()) + 1;
    this.write(`${this.last !== undefined ? "\n" : ""}#${n} exporting to image\n#${n} writing image ${id} done\n`);
    for (const name of names) this.write(`#${n} naming to ${name} done\n`);
    this.write(`#${n} DONE 0.0s\n`);
  }
}
