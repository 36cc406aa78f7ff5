// bin/mydocker, the sh front of the command line: it execs node (no shell stays between the
// caller and the command), from the command line's startup snapshot where one serves, else
// on bin/mydocker.cjs, the bundle with a compile cache per command (one per command, each
// written by that command's first run; a cache V8 refuses is written again). The cache and
// stale-snapshot cases run a copy of the command and its bundle: the checkout's own files
// are used by every other suite at the same time.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BIN, isRoot, NOT_ROOT, REPO, tempRoots, type Result, type Roots } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait.js";

const CLI = path.join(REPO, "dist/src/cli");
const BUNDLE = path.join(CLI, "main.cjs");
const skip = !isRoot() ? NOT_ROOT : !fs.existsSync(BUNDLE) ? `${BUNDLE} is missing: make it with node scripts/bundle.mjs` : false;
const noSnapshot = !fs.existsSync(path.join(CLI, "main.blob")) ? "npm run build made no startup snapshot (it said why)" : false;
let roots: Roots;
let copy: string;
let cache: string;

before(() => {
  if (skip) return;
  roots = tempRoots("mydocker-front-");
  copy = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-front-copy-"));
  // The layout bin/mydocker expects, with the bundle's neighbours it finds by path linked in.
  fs.mkdirSync(path.join(copy, "dist/src/cli"), { recursive: true });
  fs.cpSync(path.join(REPO, "bin"), path.join(copy, "bin"), { recursive: true });
  fs.copyFileSync(BUNDLE, path.join(copy, "dist/src/cli/main.cjs"));
  for (const shared of ["node_modules", "native"]) fs.symlinkSync(path.join(REPO, shared), path.join(copy, shared));
  cache = path.join(copy, "dist/src/cli/main.cjs.cache");
});
after(() => {
  roots?.cleanup();
  if (copy) fs.rmSync(copy, { recursive: true, force: true });
});

function run(bin: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Result {
  const r = spawnSync(bin, args, { env: opts.env ?? roots.env, cwd: opts.cwd, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** What node bin/mydocker execs, as sh -x shows it, and how the command went. */
function traced(bin: string, args: string[], env: NodeJS.ProcessEnv = roots.env): Result & { exec: string } {
  const r = spawnSync("sh", ["-x", bin, ...args], { env, encoding: "utf8", timeout: 60_000 });
  const exec = r.stderr.split("\n").find((l) => /^\+ exec /.test(l)) ?? "";
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, exec };
}

const fromSnapshot = /^\+ exec \S+\/node --snapshot-blob \S+\/dist\/src\/cli\/main\.blob -- \S+\/dist\/src\/cli\/snapshot\.cjs /;
const fromBundle = /^\+ exec \S+\/node -- \S+\/bin\/mydocker\.cjs /;

test("bin/mydocker starts node from the startup snapshot the build made, through npm's symlinks too, and from a directory it cannot write", { skip: skip || noSnapshot }, () => {
  const direct = traced(BIN, ["ps", "-q"]);
  assert.equal(direct.status, 0, direct.stderr);
  assert.match(direct.exec, fromSnapshot, "built by npm run build, newer than the code");

  // npm's .bin: a relative link to the package's bin/, itself reached through a link to the package.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-front-links-"));
  try {
    fs.mkdirSync(path.join(dir, "node_modules/.bin"), { recursive: true });
    fs.symlinkSync(REPO, path.join(dir, "node_modules/mydocker"));
    fs.symlinkSync("../mydocker/bin/mydocker", path.join(dir, "node_modules/.bin/mydocker"));
    const linked = traced(path.join(dir, "node_modules/.bin/mydocker"), ["ps", "-q"]);
    assert.equal(linked.status, 0, linked.stderr);
    assert.match(linked.exec, fromSnapshot);
    // On PATH, by its name alone, as a user types it.
    const onPath = run("mydocker", ["--version"], { env: { ...roots.env, PATH: `${path.join(dir, "node_modules/.bin")}:${process.env["PATH"]}` } });
    assert.deepEqual([onPath.status, onPath.stdout], [0, "0.1.0\n"], onPath.stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  // A user who can write neither the working directory nor the tree (nor its compile caches).
  const nobody = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", BIN, "--version"], { cwd: "/", env: roots.env, encoding: "utf8" });
  assert.deepEqual([nobody.status, nobody.stdout], [0, "0.1.0\n"], nobody.stderr);
});

test("with NODE_OPTIONS (the snapshot loads only under the V8 flags it was made with) bin/mydocker runs the bundle", { skip }, () => {
  const r = traced(BIN, ["ps", "-q"], { ...roots.env, NODE_OPTIONS: "--max-old-space-size=300" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.exec, fromBundle);
});

test("a snapshot older than the code is not used; one made in another tree runs this tree's bundle", { skip: skip || noSnapshot }, () => {
  const dist = path.join(copy, "dist/src/cli");
  for (const f of ["main.blob", "snapshot.cjs", "main.js"]) fs.copyFileSync(path.join(CLI, f), path.join(dist, f));
  // Dated as node, to the nanosecond, as the build dates it.
  assert.equal(spawnSync("cp", ["-p", path.join(CLI, "main.blob.node"), path.join(dist, "main.blob.node")]).status, 0);
  // The bundle as the build left it, and a plain `tsc` since the snapshot was made.
  const at = (f: string, secondsAgo: number) => fs.utimesSync(path.join(dist, f), new Date(Date.now() - secondsAgo * 1000), new Date(Date.now() - secondsAgo * 1000));
  at("main.blob", 120);
  at("main.js", 60);
  try {
    const stale = traced(path.join(copy, "bin/mydocker"), ["--version"]);
    assert.deepEqual([stale.status, stale.stdout], [0, "0.1.0\n"], stale.stderr);
    assert.match(stale.exec, fromBundle, "main.js is newer than the snapshot");

    // The snapshot holds the paths of the tree it was made in (the shim's, the addons'): in
    // this copy it hands the command to the copy's own bundle, which writes the copy's cache.
    at("main.js", 180);
    fs.rmSync(cache, { recursive: true, force: true });
    const other = traced(path.join(copy, "bin/mydocker"), ["--version"]);
    assert.deepEqual([other.status, other.stdout], [0, "0.1.0\n"], other.stderr);
    assert.match(other.exec, fromSnapshot);
    assert.ok(fs.existsSync(path.join(cache, "none")), "the copy ran its own bundle");
    // Started by a path relative to the tree, from its directory.
    const relative = run("bin/mydocker", ["--version"], { cwd: copy });
    assert.deepEqual([relative.status, relative.stdout], [0, "0.1.0\n"], relative.stderr);
  } finally {
    for (const f of ["main.blob", "main.blob.node", "snapshot.cjs", "main.js"]) fs.rmSync(path.join(dist, f));
  }
});

test("a node other than the one that made the snapshot (an upgrade, which dates it before the snapshot) runs the bundle", { skip: skip || noSnapshot }, () => {
  // node refuses a snapshot another build of it made (exit 14, every command): the front
  // must not hand it one. A copy of node stands for the upgraded binary: a new file, dated
  // before the snapshot as dpkg dates what it installs; then one rewritten in place (now).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-front-node-"));
  try {
    const other = path.join(dir, "node");
    fs.copyFileSync(process.execPath, other);
    fs.chmodSync(other, 0o755);
    const yearAgo = new Date(Date.now() - 365 * 86400_000);
    fs.utimesSync(other, yearAgo, yearAgo);
    const r = traced(BIN, ["--version"], { ...roots.env, PATH: `${dir}:${process.env["PATH"]}` });
    assert.deepEqual([r.status, r.stdout], [0, "0.1.0\n"], r.stderr);
    assert.match(r.exec, /^\+ exec \S+\/mydocker-front-node-\w+\/node -- \S+\/bin\/mydocker\.cjs /);
    fs.utimesSync(other, new Date(), new Date());
    assert.match(traced(BIN, ["--version"], { ...roots.env, PATH: `${dir}:${process.env["PATH"]}` }).exec, /^\+ exec \S+\/node -- \S+\/bin\/mydocker\.cjs /);
    // The node that made it, first on PATH again: the snapshot serves.
    assert.match(traced(BIN, ["--version"]).exec, fromSnapshot);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("exit statuses pass through as the command gives them: the container's, 125, 126, 127 and 128+N", { skip }, () => {
  const status = (args: string[]) => run(BIN, args).status;
  assert.equal(status(["run", "--rm", "--network", "none", "busybox", "sh", "-c", "exit 3"]), 3);
  assert.equal(status(["run", "--rm", "--no-such-flag", "busybox", "true"]), 125);
  assert.equal(status(["run", "--rm", "--network", "none", "busybox", "/etc"]), 126);
  assert.equal(status(["run", "--rm", "--network", "none", "busybox", "no-such-program"]), 127);
  assert.equal(status(["run", "--rm", "--network", "none", "busybox", "sh", "-c", "sh -c 'kill -TERM $$'; exit $?"]), 143);
});

test("the front execs node: the process the caller started is node's, and a signal to it reaches the command", { skip }, async () => {
  const child = spawn(BIN, ["run", "--rm", "--network", "none", "busybox", "sh", "-c", "trap 'exit 7' TERM; echo up; while true; do sleep 0.1; done"], {
    env: roots.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d));
  const done = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  await waitFor(() => out === "up\n", { what: "the container to start" });
  assert.equal(fs.readFileSync(`/proc/${child.pid}/comm`, "utf8"), "node\n");
  child.kill("SIGTERM");
  assert.equal(await done, 7, "run passed SIGTERM on to the container, whose exit status it gave");
});

test("each command keeps a compile cache of its own, past the global options", { skip }, () => {
  fs.rmSync(cache, { recursive: true, force: true });
  const copied = (args: string[]) => run(path.join(copy, "bin/mydocker"), args);
  assert.equal(copied(["--version"]).status, 0);
  assert.deepEqual(fs.readdirSync(cache), ["none"]);
  const none = fs.statSync(path.join(cache, "none")).mtimeMs;
  const ps = copied(["--root", roots.root, "--debug", "ps"]);
  assert.equal(ps.status, 0, ps.stderr);
  assert.deepEqual(fs.readdirSync(cache).sort(), ["none", "ps"]);
  assert.equal(copied(["--version"]).status, 0);
  assert.equal(fs.statSync(path.join(cache, "none")).mtimeMs, none, "an accepted cache is left as it is");
});

test("a cache V8 refuses is written again and the command still runs", { skip }, () => {
  fs.mkdirSync(cache, { recursive: true });
  fs.writeFileSync(path.join(cache, "none"), "not a code cache");
  const r = run(path.join(copy, "bin/mydocker"), ["--version"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
  assert.ok(fs.statSync(path.join(cache, "none")).size > 1000, "replaced by a real cache");
});
