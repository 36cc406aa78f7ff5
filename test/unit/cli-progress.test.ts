// Image progress on the command line: docker's words for each layer step, and on a terminal
// the layers' last state stays on the screen when the closing lines come (as docker's).
import assert from "node:assert/strict";
import { test } from "node:test";
import { progressPrinter } from "../../src/cli/progress.js";

function stream(isTTY: boolean): { out: NodeJS.WriteStream; text: () => string } {
  let text = "";
  const out = { isTTY, write: (s: string) => ((text += s), true) } as unknown as NodeJS.WriteStream;
  return { out, text: () => text };
}

test("off a terminal: one line per layer step, in docker's words", () => {
  const s = stream(false);
  const p = progressPrinter(false, s.out)!;
  p({ kind: "layer", id: "aaaaaaaaaaaa", action: "pushing", current: 10 });
  p({ kind: "layer", id: "aaaaaaaaaaaa", action: "pushing", current: 20 });
  p({ kind: "layer", id: "aaaaaaaaaaaa", action: "pushed" });
  p({ kind: "layer", id: "bbbbbbbbbbbb", action: "present" });
  p({ kind: "step", message: "1: digest: sha256:x size: 1" });
  assert.equal(s.text(), "aaaaaaaaaaaa: Pushing\naaaaaaaaaaaa: Pushed\nbbbbbbbbbbbb: Layer already exists\n1: digest: sha256:x size: 1\n");
});

test("on a terminal: the closing line goes below the layers' last state, which is not erased", () => {
  const s = stream(true);
  const p = progressPrinter(false, s.out)!;
  p({ kind: "layer", id: "aaaaaaaaaaaa", action: "downloading", current: 1 << 20, total: 2 << 20 });
  p({ kind: "layer", id: "aaaaaaaaaaaa", action: "done" });
  p({ kind: "step", message: "Status: Downloaded newer image for x:1" });
  const after = s.text().slice(s.text().lastIndexOf("aaaaaaaaaaaa: "));
  assert.match(after, /^aaaaaaaaaaaa: Pull complete\s*\nStatus: Downloaded newer image for x:1\n$/);
  assert.doesNotMatch(s.text(), /\x1b\[J/, "nothing is cleared");
});
