// The real docker CLI's `docker build` against `mydocker serve` (the classic build API:
// its /_ping says Builder-Version 1): a context directory, -f -, -q, build args, a target,
// a failing RUN; the images run through docker run.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { docker, servedSuite, type Served } from "../helpers/serve.js";

let ctx: string;
const { skip, served: s } = servedSuite({ setup: makeContext });

function makeContext(served: Served): void {
  ctx = path.join(path.dirname(served.roots.root), "ctx");
  fs.mkdirSync(path.join(ctx, "skip"), { recursive: true });
  fs.writeFileSync(path.join(ctx, "a.txt"), "from the context\n");
  fs.writeFileSync(path.join(ctx, "skip", "x"), "ignored\n");
  fs.writeFileSync(path.join(ctx, ".dockerignore"), "skip\n");
  fs.writeFileSync(
    path.join(ctx, "Dockerfile"),
    ["FROM busybox AS first", "ARG WORD=plain", "COPY . /ctx/", 'RUN echo "$WORD" > /word', "FROM first", 'CMD ["sh", "-c", "cat /ctx/a.txt /word; ls /ctx"]'].join("\n"),
  );
}

// RUN steps without a network: the bridge's iptables is shared with every suite running.
const build = (args: string[], input?: string) => docker(s(), ["build", "--network", "none", ...args], { input, timeout: 120_000 });

test("docker build: tags, build args, .dockerignore; docker run runs the image", { skip }, () => {
  const r = build(["-t", "local/cli:1", "--build-arg", "WORD=fancy", ctx]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Successfully tagged local\/cli:1/);
  const run = docker(s(), ["run", "--rm", "--network", "none", "local/cli:1"]);
  assert.equal(run.stdout, "from the context\nfancy\nDockerfile\na.txt\n", run.stderr);
  // -q prints the id alone, and the cache made it the same image.
  const q = build(["-q", "--build-arg", "WORD=fancy", ctx]);
  assert.equal(q.status, 0, q.stderr);
  assert.equal(q.stdout.trim(), docker(s(), ["image", "inspect", "--format", "{{.Id}}", "local/cli:1"]).stdout.trim());
});

test("docker build -f - and --target; a failing RUN fails the command with its message", { skip }, () => {
  const r = build(["-f", "-", "--target", "one", "-t", "local/cli:2", ctx], "FROM busybox AS one\nCOPY a.txt /a\nFROM one\nRUN false\n");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(docker(s(), ["run", "--rm", "--network", "none", "local/cli:2", "cat", "/a"]).stdout, "from the context\n");
  const bad = build(["-f", "-", ctx], "FROM busybox\nRUN echo boom; exit 4\n");
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /boom/);
  assert.match(bad.stderr, /did not complete successfully: exit code: 4/);
});

test("docker builder prune empties the build cache: the next build runs every step again", { skip }, () => {
  assert.equal(build(["-q", ctx]).status, 0);
  const cached = build([ctx]);
  assert.match(cached.stdout + cached.stderr, /CACHED/, "a build again takes its steps from the cache");
  const pruned = docker(s(), ["builder", "prune", "-f"]);
  assert.equal(pruned.status, 0, pruned.stderr);
  assert.match(pruned.stdout, /Total:\s+\S+|Total reclaimed space: \S+/);
  const again = build([ctx]);
  assert.equal(again.status, 0, again.stderr);
  assert.doesNotMatch(again.stdout + again.stderr, /CACHED|Using cache/, "every step ran again");
});
