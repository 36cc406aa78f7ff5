// engine.build from a Node program (the library), and the image it makes saved and run by
// podman: the same files, config and output as mydocker gives.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Engine, type BuildEvent } from "../../src/index.js";
import { isRoot, NOT_ROOT, removeCgroupParent } from "../helpers/cli.js";
import { have, Podman } from "./image-helpers.js";

const skip = !isRoot() ? NOT_ROOT : false;
const noPodman = skip || (!have("podman") || !have("runc") ? "needs podman and runc (scripts/install-deps.sh)" : false);
let base: string;
let engine: Engine;

before(() => {
  if (skip) return;
  base = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-build-lib-"));
  engine = new Engine({ root: path.join(base, "root"), runRoot: path.join(base, "run"), cgroupParent: path.basename(base), launcher: false });
});
after(async () => {
  if (!engine) return;
  for (const c of await engine.list(true)) await engine.remove(c.id, { force: true });
  engine.close();
  removeCgroupParent(path.basename(base));
  fs.rmSync(base, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

function writeContext(dir: string): void {
  fs.mkdirSync(path.join(dir, "app"), { recursive: true });
  fs.writeFileSync(path.join(dir, "app", "run.sh"), "#!/bin/sh\necho \"$MSG from $(pwd) as $(id -u)\"\ncat /app/made\n");
  fs.chmodSync(path.join(dir, "app", "run.sh"), 0o755);
  fs.writeFileSync(
    path.join(dir, "Dockerfile"),
    [
      "FROM busybox AS base",
      "ARG MSG=default",
      "ENV MSG=$MSG",
      "WORKDIR /app",
      "COPY app/ ./",
      "RUN echo made-in-run > /app/made && mkdir /data && chown 4242 /data",
      "USER 4242",
      "LABEL purpose=test",
      'ENTRYPOINT ["/app/run.sh"]',
    ].join("\n"),
  );
}

test("engine.build: progress events, the step output, the image with its names and config", { skip }, async () => {
  const ctx = path.join(base, "ctx");
  writeContext(ctx);
  const events: BuildEvent[] = [];
  const result = await engine.build({ context: ctx, tags: ["local/lib:1"], buildArgs: { MSG: "hello" }, network: "none", onProgress: (e) => events.push(e) });
  assert.deepEqual(result.names, ["docker.io/local/lib:1"]);
  assert.equal(result.image.config.config?.User, "4242");
  assert.equal(result.image.config.config?.Labels?.purpose, "test");
  assert.deepEqual(result.image.config.config?.Entrypoint, ["/app/run.sh"]);
  assert.ok(events.some((e) => e.kind === "start" && e.name === "[5/8] RUN echo made-in-run > /app/made && mkdir /data && chown 4242 /data"));
  assert.ok(events.filter((e) => e.kind === "done").length >= 8);
  const again: BuildEvent[] = [];
  const cached = await engine.build({ context: ctx, tags: ["local/lib:1"], buildArgs: { MSG: "hello" }, network: "none", onProgress: (e) => again.push(e) });
  assert.equal(cached.image.id, result.image.id);
  assert.equal(again.filter((e) => e.kind === "cached").length, 7);
  // Another build argument is another RUN environment: a miss from where it is used.
  const other = await engine.build({ context: ctx, buildArgs: { MSG: "other" }, network: "none" });
  assert.notEqual(other.image.id, result.image.id);
});

test("the built image saved and loaded into podman runs there as in mydocker", { skip: noPodman }, async () => {
  const ctx = path.join(base, "ctx-podman");
  writeContext(ctx);
  await engine.build({ context: ctx, tags: ["localhost/built:1"], buildArgs: { MSG: "hi" }, network: "none" });
  let mine = "";
  const ours = await engine.run(
    { image: "localhost/built:1", autoRemove: true, network: "none" },
    { stdio: "pipe", stdin: false, onStart: (h) => h.output?.stdout.on("data", (d: Buffer) => (mine += d)) },
  );
  assert.equal(ours.exitCode, 0);
  assert.equal(mine, "hi from /app as 4242\nmade-in-run\n");
  const archive = path.join(base, "built.tar");
  await engine.images.save(["localhost/built:1"], fs.createWriteStream(archive));
  const podman = new Podman(path.join(base, "podman"));
  try {
    podman.run("load", "-i", archive);
    const out = podman.run("run", "--rm", "--pull", "never", "--runtime", "runc", "--network", "none", "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768", "localhost/built:1");
    assert.equal(out, "hi from /app as 4242\nmade-in-run\n");
    const inspect = JSON.parse(podman.run("image", "inspect", "localhost/built:1")) as { Config: { Labels: Record<string, string>; User: string }; History: { created_by: string }[] }[];
    assert.equal(inspect[0]!.Config.User, "4242");
    assert.equal(inspect[0]!.Config.Labels.purpose, "test");
    assert.ok(inspect[0]!.History.some((h) => h.created_by === "COPY app/ ./ # buildkit"));
  } finally {
    podman.cleanup();
  }
});

test("independent stages build side by side; the target's stage waits for both", { skip }, async () => {
  const ctx = path.join(base, "ctx-parallel");
  fs.mkdirSync(ctx, { recursive: true });
  fs.writeFileSync(
    path.join(ctx, "Dockerfile"),
    ["FROM busybox AS a", "RUN sleep 1 && echo a > /a", "FROM busybox AS b", "RUN sleep 1 && echo b > /b", "FROM busybox", "COPY --from=a /a /a", "COPY --from=b /b /b"].join("\n"),
  );
  const events: BuildEvent[] = [];
  await engine.build({ context: ctx, network: "none", noCache: true, onProgress: (e) => events.push(e) });
  const started = (label: string) => events.findIndex((e) => e.kind === "start" && e.name.startsWith(label));
  const step = (label: string) => (events[started(label)] as { step: number }).step;
  const doneOf = (label: string) => events.findIndex((e) => e.kind === "done" && e.step === step(label));
  // Each RUN started before the other one ended.
  assert.ok(started("[a 2/2]") < doneOf("[b 2/2]") && started("[b 2/2]") < doneOf("[a 2/2]"), JSON.stringify(events.filter((e) => e.kind !== "output")));
  assert.ok(started("[stage-2 2/3]") > doneOf("[a 2/2]"));
});
