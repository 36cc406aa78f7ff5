// mydocker build through the command line: real Dockerfiles from busybox and scratch,
// built into images that mydocker runs; the cache's hit and miss rules; a failing RUN
// leaves nothing behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { BIN, cliSuite, isRoot, runMountsUnder, mydockerAsync, NOT_ROOT, stateDirs, waitFor } from "../helpers/cli.js";

const skip = isRoot() ? false : NOT_ROOT;
const { md, roots } = cliSuite();

/** A context directory of the suite's own, with these files (path -> content). */
function context(name: string, files: Record<string, string>): string {
  const dir = path.join(roots().root, "..", "contexts", name);
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

/**
 * RUN steps go without a network here: none of these Dockerfiles needs one, and the
 * default bridge's setup shares the host's iptables with every other suite running.
 */
function build(...args: string[]) {
  const r = md("build", "--network", "none", "--progress", "plain", ...args);
  assert.equal(r.status, 0, r.stderr);
  return r;
}

function imageId(ref: string): string {
  const r = md("image", "inspect", "--format", "{{.Id}}", ref);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

/** mydocker with input, not blocking this process (whose loopback server the build reaches). */
function mdAsync(args: string[], input: string | Buffer): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(BIN, args, { env: roots().env, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d));
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  child.stdin.end(input);
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, stdout, stderr })));
}

/** The plain output's steps and how each ended: "RUN echo hi" -> "CACHED" | "DONE". */
function outcomes(stderr: string): Map<string, string> {
  const names = new Map<string, string>();
  const out = new Map<string, string>();
  for (const line of stderr.split("\n")) {
    const start = /^#(\d+) \[[^\]]+\] (.*)$/.exec(line);
    if (start) names.set(start[1]!, start[2]!);
    const end = /^#(\d+) (CACHED|DONE|ERROR)/.exec(line);
    if (end && names.has(end[1]!)) out.set(names.get(end[1]!)!, end[2]!);
  }
  return out;
}

test("a Dockerfile from busybox: ARG/ENV substitution, WORKDIR, COPY, USER, heredoc RUN; the image runs and history shows the steps", { skip }, () => {
  const dir = context("basic", {
    Dockerfile: [
      "# syntax=docker/dockerfile:1",
      "FROM busybox",
      "ARG WHO=world",
      'ENV GREETING="hello ${WHO:-nobody}" EMPTY=',
      "WORKDIR /app",
      "COPY greet.txt sub ./",
      "RUN echo \"$GREETING ${EMPTY:-dflt} ${EMPTY:+alt}$WHO\" > out.txt \\",
      "    && chown 1000:1000 out.txt",
      "RUN <<EOF",
      "echo heredoc ran > /app/heredoc.txt",
      "EOF",
      "USER 1000",
      'CMD ["sh", "-c", "cat out.txt heredoc.txt greet.txt s.txt; id -u; pwd"]',
    ].join("\n"),
    "greet.txt": "greet\n",
    "sub/s.txt": "sub\n",
  });
  const r = build("-t", "local/basic:1", "--build-arg", "WHO=you", dir);
  assert.match(r.stderr, /#\d+ \[5\/8\] RUN echo/);
  assert.match(r.stderr, /naming to docker\.io\/local\/basic:1 done/);
  const run = md("run", "--rm", "local/basic:1");
  assert.equal(run.stdout, "hello you dflt you\nheredoc ran\ngreet\nsub\n1000\n/app\n", run.stderr);
  const history = md("history", "--no-trunc", "--format", "{{.CreatedBy}}", "local/basic:1").stdout;
  assert.match(history, /^CMD \["sh","-c",/m);
  assert.match(history, /^USER 1000$/m);
  assert.match(history, /^RUN \|1 WHO=you \/bin\/sh -c echo/m);
  assert.match(history, /^COPY greet.txt sub \.\/ # buildkit$/m);
  assert.match(history, /^WORKDIR \/app$/m);
  assert.match(history, /^ENV GREETING=hello you EMPTY=$/m);
  // No container of the build is left, and only the image (and busybox) is listed.
  assert.equal(md("ps", "-aq").stdout, "");
  assert.deepEqual(md("images", "--format", "{{.Repository}}").stdout.split("\n").filter(Boolean).sort(), ["busybox", "local/basic"]);
});

test("the cache: a rebuild is all cached; a change to one copied file rebuilds from its COPY on; --no-cache rebuilds all", { skip }, () => {
  const files = {
    Dockerfile: ["FROM busybox", "COPY a.txt /a.txt", "RUN cat /a.txt > /ra", "COPY b.txt /b.txt", "RUN cat /a.txt /b.txt > /rb", 'CMD ["cat", "/rb"]'].join("\n"),
    "a.txt": "a1\n",
    "b.txt": "b1\n",
  };
  const dir = context("cache", files);
  build("-t", "local/cache:1", dir);
  const first = imageId("local/cache:1");
  const again = outcomes(build("-t", "local/cache:1", dir).stderr);
  for (const step of ["COPY a.txt /a.txt", "RUN cat /a.txt > /ra", "COPY b.txt /b.txt", "RUN cat /a.txt /b.txt > /rb", 'CMD ["cat", "/rb"]']) {
    assert.equal(again.get(step), "CACHED", step);
  }
  // The same image, to the byte, whether built cold or from the cache.
  assert.equal(imageId("local/cache:1"), first);

  fs.writeFileSync(path.join(dir, "b.txt"), "b2\n");
  const changed = outcomes(build("-t", "local/cache:2", dir).stderr);
  assert.equal(changed.get("COPY a.txt /a.txt"), "CACHED");
  assert.equal(changed.get("RUN cat /a.txt > /ra"), "CACHED");
  assert.equal(changed.get("COPY b.txt /b.txt"), "DONE");
  assert.equal(changed.get("RUN cat /a.txt /b.txt > /rb"), "DONE");
  assert.equal(md("run", "--rm", "local/cache:2").stdout, "a1\nb2\n");

  // A mode is content too.
  fs.chmodSync(path.join(dir, "a.txt"), 0o600);
  assert.equal(outcomes(build(dir).stderr).get("COPY a.txt /a.txt"), "DONE");

  const nocache = outcomes(build("--no-cache", dir).stderr);
  assert.ok([...nocache.values()].every((v) => v === "DONE"), JSON.stringify([...nocache]));
  assert.match(md("system", "df").stdout, /Build Cache\s+[1-9]\d*\s/);

  // builder prune forgets every step: the next build runs them all, the images stay.
  assert.match(md("builder", "prune", "-f").stdout, /^Deleted build cache objects: [1-9]\d*\nTotal reclaimed space: /);
  assert.match(md("system", "df").stdout, /Build Cache\s+0\s/);
  const pruned = outcomes(build(dir).stderr);
  assert.ok([...pruned.values()].every((v) => v === "DONE"), JSON.stringify([...pruned]));
  assert.equal(md("run", "--rm", "local/cache:2").stdout, "a1\nb2\n");
});

test("a failing RUN shows its output and exit code and leaves no container, mount, state or image", { skip }, () => {
  const dir = context("fail", { Dockerfile: ["FROM busybox", "RUN echo made > /made", "RUN echo about to fail; exit 3", "RUN echo never"].join("\n") });
  const imagesBefore = md("images", "-q").stdout;
  const r = md("build", "--network", "none", "--progress", "plain", "-t", "local/fail", dir);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /#\d+ [\d.]+ about to fail/);
  assert.match(r.stderr, /did not complete successfully: exit code: 3/);
  assert.doesNotMatch(r.stderr, /never/);
  assert.equal(md("ps", "-aq").stdout, "");
  assert.deepEqual(stateDirs(roots().runRoot), []);
  assert.deepEqual(runMountsUnder(roots().root, roots().runRoot), []);
  assert.equal(md("images", "-q").stdout, imagesBefore);
});

test("bad Dockerfiles fail with the file, line and reason before anything runs", { skip }, () => {
  const unknown = md("build", context("bad1", { Dockerfile: "FROM busybox\nRUN touch /x\nFROBNICATE now\n" }));
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /Dockerfile:3: unknown instruction: FROBNICATE/);
  assert.doesNotMatch(unknown.stderr, /\[2\/3\]/);
  const noFrom = md("build", context("bad2", { Dockerfile: "RUN true\n" }));
  assert.match(noFrom.stderr, /Dockerfile:1: no FROM before RUN/);
  const flag = md("build", context("bad3", { Dockerfile: "FROM busybox\nCOPY --frm=x a /\n" }));
  assert.match(flag.stderr, /Dockerfile:2: unknown flag for COPY: --frm/);
  const missing = md("build", context("bad4", { Dockerfile: "FROM busybox\nCOPY nothere /\n" }));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /nothere: no such file or directory/);
});

test("multi-stage: COPY --from a stage, --target, FROM an earlier stage with ONBUILD, a scratch stage, .dockerignore, ADD of a tar", { skip }, () => {
  const dir = context("multi", {
    Dockerfile: [
      "ARG BASE=busybox",
      "FROM ${BASE} AS builder",
      "RUN mkdir -p /out && echo built > /out/artifact",
      "ONBUILD RUN echo triggered > /trig",
      "FROM builder AS child",
      "RUN cat /trig",
      "FROM scratch AS files",
      "COPY --from=builder /out/artifact /artifact",
      "COPY data /data",
      "ADD arch.tar /x/",
      "FROM scratch AS empty",
      "FROM busybox",
      "COPY --from=files / /files/",
      "COPY --from=busybox /bin/busybox /files/bb",
      "COPY --from=child /trig /trig",
      'CMD ["sh", "-c", "find /files | sort; cat /trig"]',
    ].join("\n"),
    ".dockerignore": "data/skip\n**/*.log\n!data/keep/x.log\n",
    "data/keep/k.txt": "k\n",
    "data/keep/x.log": "kept log\n",
    "data/other.log": "ignored\n",
    "data/skip/s.txt": "ignored\n",
  });
  const tarSrc = path.join(dir, "..", "multi-tar");
  fs.mkdirSync(path.join(tarSrc, "d"), { recursive: true });
  fs.writeFileSync(path.join(tarSrc, "d", "g"), "deep\n");
  assert.equal(spawnSync("tar", ["-C", tarSrc, "-cf", path.join(dir, "arch.tar"), "."]).status, 0);
  const r = build("-t", "local/multi", dir);
  assert.match(r.stderr, /\[child 1\/2\] RUN echo triggered > \/trig/);
  const out = md("run", "--rm", "local/multi").stdout;
  assert.equal(out, ["/files", "/files/artifact", "/files/bb", "/files/data", "/files/data/keep", "/files/data/keep/k.txt", "/files/data/keep/x.log", "/files/x", "/files/x/d", "/files/x/d/g", "triggered", ""].join("\n"));
  // The ONBUILD trigger ran in the child, not in the stage that stored it.
  assert.equal(md("run", "--rm", "local/multi", "sh", "-c", "test -e /files/trig || echo absent").stdout, "absent\n");

  // --target stops at a stage; only the stages it needs are built.
  const t = build("--target", "files", "-t", "local/files", dir);
  assert.doesNotMatch(t.stderr, /\[child /);
  assert.match(md("history", "--format", "{{.CreatedBy}}", "local/files").stdout, /^ADD arch\.tar \/x\/ # buildkit$/m);
  const unknown = md("build", "--target", "nope", dir);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /failed to reach build target nope/);
});

test("the context as a tar on stdin, the Dockerfile from stdin, and ADD of a URL from a loopback server", { skip }, async () => {
  const dir = context("stdin", { Dockerfile: 'FROM busybox\nCOPY a.txt /a.txt\nCMD ["cat", "/a.txt"]\n', "a.txt": "from tar\n" });
  const tar = spawnSync("tar", ["-C", dir, "-c", "."]);
  const fromTar = spawnSync(BIN, ["build", "--network", "none", "-q", "-t", "local/tar", "-"], { env: roots().env, input: tar.stdout });
  assert.equal(fromTar.status, 0, fromTar.stderr.toString());
  assert.match(fromTar.stdout.toString(), /^sha256:[0-9a-f]{64}\n$/);
  assert.equal(md("run", "--rm", "local/tar").stdout, "from tar\n");

  const server = http.createServer((req, res) => {
    if (req.url === "/files/remote.txt") res.end("downloaded\n");
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    const dockerfile = `FROM busybox\nADD http://127.0.0.1:${port}/files/remote.txt /dl/\nCMD ["sh", "-c", "cat /dl/remote.txt; stat -c %a /dl/remote.txt"]\n`;
    const iid = path.join(dir, "..", "iid");
    const r = await mdAsync(["build", "--network", "none", "--progress", "plain", "-f", "-", "--iidfile", iid, "-t", "local/url", dir], dockerfile);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(md("run", "--rm", "local/url").stdout, "downloaded\n600\n");
    assert.equal(fs.readFileSync(iid, "utf8"), imageId("local/url"));
    const missing = await mdAsync(["build", "-f", "-", dir], `FROM busybox\nADD http://127.0.0.1:${port}/nothing /x\n`);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /failed to fetch http:\/\/127\.0\.0\.1:\d+\/nothing: 404/);
  } finally {
    server.close();
  }
});

test("the context's symlinks stay in the context; a COPY follows the image's own symlinks instead of shadowing them", { skip }, () => {
  const outside = path.join(roots().root, "..", "outside");
  fs.mkdirSync(outside, { recursive: true });
  fs.writeFileSync(path.join(outside, "secret"), "host secret\n");
  const dir = context("links", {
    Dockerfile: ["FROM busybox", "COPY . /ctx/", "RUN mkdir -p /usr/lib2 && ln -s usr/lib2 /lib2", "COPY a.txt /lib2/", 'CMD ["sh", "-c", "readlink /ctx/link; cat /ctx/link 2>/dev/null; readlink /lib2; cat /usr/lib2/a.txt"]'].join("\n"),
    "a.txt": "through the link\n",
  });
  fs.symlinkSync(path.join(outside, "secret"), path.join(dir, "link"));
  fs.symlinkSync(outside, path.join(dir, "dirlink"));
  build("-t", "local/links", dir);
  // Copied as a link, whose target is not the host's file inside the container.
  assert.equal(md("run", "--rm", "local/links").stdout, `${path.join(outside, "secret")}\nusr/lib2\nthrough the link\n`);
  for (const source of ["link", "dirlink/secret"]) {
    const r = md("build", context(`links-${source.replace("/", "-")}`, { Dockerfile: `FROM busybox\nCOPY ${source} /x\n` }));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no such file or directory/);
  }
});

test("^C during a RUN kills its container and leaves nothing of the build", { skip }, async () => {
  const dir = context("interrupt", { Dockerfile: "FROM busybox\nRUN echo started; sleep 60\n" });
  const imagesBefore = md("images", "-q").stdout;
  const run = mydockerAsync(roots(), ["build", "--network", "none", "--progress", "plain", "-t", "local/interrupted", dir]);
  await waitFor(() => run.child.exitCode !== null || /#\d+ [\d.]+ started/.test(run.err()), { what: "the RUN to start", timeoutMs: 60_000 });
  run.child.kill("SIGINT");
  const r = await run.done;
  assert.equal(r.status, 130, r.stderr);
  assert.equal(md("ps", "-aq").stdout, "");
  assert.deepEqual(stateDirs(roots().runRoot), []);
  assert.equal(md("images", "-q").stdout, imagesBefore);
});
