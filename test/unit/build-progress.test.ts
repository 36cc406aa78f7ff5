// docker's plain build progress from build events: step blocks, output lines with their
// times, partial lines kept until they end, CACHED/DONE/ERROR, interleaved steps.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PlainProgress } from "../../src/build/progress.js";

test("plain progress: blocks per step, interleaving restates the header, the image at the end", () => {
  let out = "";
  const p = new PlainProgress((s) => (out += s));
  p.handle({ kind: "start", step: 1, name: "[1/3] FROM docker.io/library/busybox:latest" });
  p.handle({ kind: "done", step: 1, seconds: 0.01 });
  p.handle({ kind: "start", step: 2, name: "[2/3] COPY a /a" });
  p.handle({ kind: "cached", step: 2 });
  p.handle({ kind: "start", step: 3, name: "[3/3] RUN make" });
  p.handle({ kind: "output", step: 3, stream: "stdout", data: Buffer.from("one\ntw") });
  p.handle({ kind: "start", step: 4, name: "[other 2/2] RUN x" });
  p.handle({ kind: "output", step: 3, stream: "stderr", data: Buffer.from("o\n") });
  p.handle({ kind: "error", step: 4, message: "exit code: 1" });
  p.handle({ kind: "done", step: 3, seconds: 1.5 });
  p.finish("sha256:abc", ["docker.io/library/x:latest"]);
  const text = out.replace(/#(\d+) \d+\.\d{3} /g, "#$1 T ");
  assert.equal(
    text,
    [
      "#1 [1/3] FROM docker.io/library/busybox:latest",
      "#1 DONE 0.0s",
      "",
      "#2 [2/3] COPY a /a",
      "#2 CACHED",
      "",
      "#3 [3/3] RUN make",
      "#3 T one",
      "",
      "#4 [other 2/2] RUN x",
      "",
      "#3 [3/3] RUN make",
      "#3 T two",
      "",
      "#4 [other 2/2] RUN x",
      "#4 ERROR: exit code: 1",
      "",
      "#3 [3/3] RUN make",
      "#3 DONE 1.5s",
      "",
      "#5 exporting to image",
      "#5 writing image sha256:abc done",
      "#5 naming to docker.io/library/x:latest done",
      "#5 DONE 0.0s",
      "",
    ].join("\n"),
  );
});
