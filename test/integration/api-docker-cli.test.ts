// The real docker CLI against `mydocker serve` on the suite's own socket and roots.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { waitFor } from "../helpers/wait.js";
import { docker, dockerAsync, servedSuite } from "../helpers/serve.js";
import { makeHtpasswd, startRegistry } from "../helpers/registry.js";

const { skip, served: s } = servedSuite();

const d = (...args: string[]) => docker(s(), args);

test("docker version negotiates the API version mydocker announces", { skip }, () => {
  const r = d("version", "--format", "{{.Client.APIVersion}} {{.Server.APIVersion}} {{.Server.MinAPIVersion}}");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "1.47 1.47 1.24\n");
  assert.equal(d("info", "--format", "{{.OSType}} {{.Driver}}").stdout, "linux overlay2\n");
});

test("docker run --rm prints the output, exits with the command's status and leaves nothing", { skip }, () => {
  const r = d("run", "--rm", "busybox", "echo", "hi");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "hi\n");
  const e = d("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3");
  assert.deepEqual([e.status, e.stdout, e.stderr], [3, "out\n", "err\n"]);
  assert.equal(d("ps", "-aq").stdout, "");
});

test("docker run -i passes stdin and its end; -t through a terminal", { skip }, () => {
  const r = docker(s(), ["run", "-i", "--rm", "busybox", "sh", "-c", "cat; echo done"], { input: "from stdin\n" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "from stdin\ndone\n");
  if (!fs.existsSync("/usr/bin/script")) return;
  const t = spawnSync("script", ["-qec", "docker run -t --rm busybox sh -c 'tty; exit 7'", "/dev/null"], { env: s().env, encoding: "utf8", timeout: 60_000 });
  assert.equal(t.status, 7, t.stdout);
  assert.match(t.stdout, /\/dev\/pts\/0/);
});

test("run -d, ps, logs, logs -f, exec, stop, rm", { skip }, async () => {
  const r = d("run", "-d", "--name", "ticker", "busybox", "sh", "-c", "trap 'echo bye; exit 0' TERM; echo started; echo warn >&2; while true; do sleep 0.1; done");
  assert.equal(r.status, 0, r.stderr);
  const id = r.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.match(d("ps", "--format", "{{.ID}} {{.Names}} {{.State}}").stdout, new RegExp(`^${id.slice(0, 12)} ticker running$`, "m"));
  assert.equal(d("inspect", "-f", "{{.State.Running}} {{.Name}} {{.Config.Tty}}", "ticker").stdout, "true /ticker false\n");
  await waitFor(() => d("logs", "ticker").stdout === "started\n", { what: "the first line in the logs" });
  const l = d("logs", "ticker");
  assert.equal(l.stderr, "warn\n");

  const follow = dockerAsync(s(), ["logs", "-f", "ticker"]);
  await waitFor(() => follow.out().includes("started"), { what: "logs -f to print the backlog" });

  const ex = d("exec", "ticker", "sh", "-c", "echo in-container; exit 5");
  assert.deepEqual([ex.status, ex.stdout], [5, "in-container\n"]);
  const cat = docker(s(), ["exec", "-i", "ticker", "cat"], { input: "piped\n" });
  assert.deepEqual([cat.status, cat.stdout], [0, "piped\n"]);

  assert.equal(d("stop", "ticker").status, 0);
  const f = await follow.done;
  assert.equal(f.stdout, "started\nbye\n", "logs -f ends when the container stops");
  assert.equal(d("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "ticker").stdout, "exited 0\n");
  assert.equal(d("rm", "ticker").status, 0);
  const gone = d("inspect", "ticker");
  assert.equal(gone.status, 1);
  assert.match(gone.stderr, /No such (container|object): ticker/);
});

test("attach to a running container: its output, and stdin whose end ends it", { skip }, async () => {
  // create -i sets StdinOnce (run -di does not): the attaching client's end of input is the container's.
  assert.equal(d("create", "-i", "--name", "echoer", "busybox", "sh", "-c", "while read l; do echo got $l; done; echo eof").status, 0);
  const r = d("start", "echoer");
  assert.equal(r.status, 0, r.stderr);
  const a = docker(s(), ["attach", "echoer"], { input: "one\ntwo\n" });
  assert.equal(a.stdout, "got one\ngot two\neof\n");
  assert.equal(d("wait", "echoer").stdout, "0\n");
  assert.equal(d("rm", "echoer").status, 0);
});

test("kill, restart, pause, rename, top, and errors with docker's words and statuses", { skip }, () => {
  assert.equal(d("run", "-d", "--name", "sleeper", "busybox", "sleep", "1000").status, 0);
  assert.equal(d("pause", "sleeper").status, 0);
  assert.equal(d("inspect", "-f", "{{.State.Status}}", "sleeper").stdout, "paused\n");
  assert.equal(d("unpause", "sleeper").status, 0);
  assert.match(d("top", "sleeper").stdout, /sleep 1000/);
  assert.equal(d("rename", "sleeper", "napper").status, 0);
  assert.equal(d("restart", "-t", "1", "napper").status, 0);
  assert.equal(d("inspect", "-f", "{{.State.Running}}", "napper").stdout, "true\n");
  assert.equal(d("kill", "napper").status, 0);
  assert.equal(d("wait", "napper").stdout, "137\n");
  const busy = d("run", "--name", "napper", "busybox", "true");
  assert.equal(busy.status, 125);
  assert.match(busy.stderr, /Conflict\. The container name "\/napper" is already in use/);
  const missing = d("rm", "nosuch");
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /No such container: nosuch/);
  assert.equal(d("rm", "-f", "napper").status, 0);
  assert.equal(d("ps", "-aq").stdout, "");
});

test("images, tag, rmi, save | load, volumes", { skip }, () => {
  // busybox is made from the host's static binary on first use.
  assert.equal(d("run", "--rm", "busybox", "true").status, 0);
  assert.match(d("images", "--format", "{{.Repository}}:{{.Tag}}").stdout, /^busybox:latest$/m);
  assert.equal(d("tag", "busybox", "mine/box:1").status, 0);
  assert.match(d("image", "inspect", "-f", "{{.RepoTags}}", "mine/box:1").stdout, /mine\/box:1/);
  const dir = path.dirname(s().roots.root);
  const tar = path.join(dir, "box.tar");
  assert.equal(d("save", "-o", tar, "mine/box:1").status, 0);
  assert.equal(d("rmi", "mine/box:1").status, 0);
  assert.equal(d("image", "inspect", "mine/box:1").status, 1);
  const load = d("load", "-i", tar);
  assert.equal(load.status, 0, load.stderr);
  assert.match(load.stdout, /Loaded image: mine\/box:1/);
  assert.equal(d("run", "--rm", "mine/box:1", "echo", "loaded").stdout, "loaded\n");

  assert.equal(d("volume", "create", "data").stdout, "data\n");
  assert.equal(d("run", "--rm", "-v", "data:/data", "busybox", "sh", "-c", "echo kept > /data/f").status, 0);
  const kept = d("run", "--rm", "-v", "data:/data", "busybox", "cat", "/data/f");
  assert.equal(kept.stdout, "kept\n", kept.stderr);
  assert.match(d("volume", "ls", "-q").stdout, /^data$/m);
  assert.equal(d("volume", "rm", "data").status, 0);
  assert.equal(d("volume", "ls", "-q").stdout, "");
});

const hasRegistry = spawnSync("docker-registry", ["--version"]).status === 0;

test("docker push to a local registry, rmi, pull back, run", { skip: skip || (!hasRegistry && "docker-registry is not installed (Debian's docker-registry)") }, async () => {
  const registry = await startRegistry(path.join(path.dirname(s().roots.root), "registry"));
  try {
    assert.equal(d("run", "--rm", "--network", "none", "busybox", "true").status, 0);
    const ref = `${registry.host}/mdk/box:1`;
    assert.equal(d("tag", "busybox", ref).status, 0);
    const push = docker(s(), ["push", ref], { timeout: 120_000 });
    assert.equal(push.status, 0, push.stderr);
    // Once each, as dockerd says them.
    assert.equal(push.stdout.match(/1: digest: sha256:[0-9a-f]{64} size: \d+/g)?.length, 1, push.stdout);
    assert.equal(d("rmi", ref).status, 0);
    const pull = docker(s(), ["pull", ref], { timeout: 120_000 });
    assert.equal(pull.status, 0, pull.stderr);
    assert.equal(pull.stdout.match(/Status: Downloaded newer image for/g)?.length, 1, pull.stdout);
    const again = docker(s(), ["pull", ref], { timeout: 120_000 });
    assert.match(again.stdout, new RegExp(`Status: Image is up to date for ${ref}`), again.stdout);
    assert.equal(d("run", "--rm", "--network", "none", ref, "echo", "pulled").stdout, "pulled\n");
    d("rmi", ref);
  } finally {
    registry.stop();
  }
});

test("docker login checks the password with the registry through the daemon (POST /auth); a wrong one is refused", { skip: skip || (!hasRegistry && "docker-registry is not installed (Debian's docker-registry)") }, async () => {
  const dir = path.join(path.dirname(s().roots.root), "registry-auth");
  fs.mkdirSync(dir, { recursive: true });
  const htpasswd = path.join(dir, "htpasswd");
  makeHtpasswd(htpasswd, "alice", "s3cret");
  const registry = await startRegistry(dir, { htpasswd });
  try {
    const bad = docker(s(), ["login", "-u", "alice", "--password-stdin", registry.host], { input: "wrong\n" });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /unauthorized: incorrect username or password/);
    const good = docker(s(), ["login", "-u", "alice", "--password-stdin", registry.host], { input: "s3cret\n" });
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stdout, /Login Succeeded/);
  } finally {
    registry.stop();
  }
});

test("export, import --change, commit --change, history, update, logs --tail/--timestamps/--since, and the prunes", { skip }, () => {
  assert.equal(d("run", "--name", "maker", "--network", "none", "busybox", "sh", "-c", "echo one; echo two; echo made > /made").status, 0);
  const tar = spawnSync("sh", ["-c", "docker export maker | tar -t | grep -x made"], { env: s().env, encoding: "utf8" });
  assert.equal(tar.stdout, "made\n", tar.stderr);
  const imported = spawnSync("sh", ["-c", 'docker export maker | docker import --change "CMD cat /made" - local/imported:1'], { env: s().env, encoding: "utf8" });
  assert.equal(imported.status, 0, imported.stderr);
  assert.equal(d("run", "--rm", "--network", "none", "local/imported:1").stdout, "made\n");
  assert.equal(d("rmi", "local/imported:1").status, 0);
  const tail = d("logs", "--tail", "1", "--timestamps", "maker");
  assert.match(tail.stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z two\n$/);
  assert.equal(d("logs", "--since", "2099-01-01T00:00:00Z", "maker").stdout, "");
  const id = d("commit", "-c", "CMD cat /made", "maker", "local/made:1").stdout.trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  assert.equal(d("run", "--rm", "--network", "none", "local/made:1").stdout, "made\n");
  assert.match(d("history", "--format", "{{.CreatedBy}}", "local/made:1").stdout, /echo made > \/made/);
  assert.equal(d("run", "-d", "--name", "limited", "--network", "none", "busybox", "sleep", "1000").status, 0);
  assert.equal(d("update", "--memory", "64m", "--memory-swap", "128m", "limited").status, 0);
  assert.equal(d("inspect", "-f", "{{.HostConfig.Memory}}", "limited").stdout, "67108864\n");
  d("rm", "-f", "limited");
  const containers = d("container", "prune", "-f");
  assert.equal(containers.status, 0, containers.stderr);
  assert.match(containers.stdout, /Deleted Containers:\n[0-9a-f]{64}\n/);
  assert.equal(d("ps", "-aq").stdout, "");
  assert.equal(d("rmi", "local/made:1").status, 0);
  assert.equal(d("image", "prune", "-f").status, 0);
  assert.equal(d("volume", "create", "unused").status, 0);
  assert.match(d("volume", "prune", "-af").stdout, /unused/);
  assert.equal(d("network", "create", "mdkapiprune").status, 0);
  assert.match(d("network", "prune", "-f").stdout, /mdkapiprune/);
});

test("docker exec between two runs of a restart policy: refused at create in docker's words", { skip }, async () => {
  const id = d("run", "-d", "--network", "none", "--restart", "always", "busybox", "sh", "-c", "exit 3").stdout.trim();
  try {
    const restarting = `Container ${id} is restarting, wait until the container is running`;
    await waitFor(() => d("exec", id, "true").stderr.includes(restarting), { what: "docker exec to be refused between two runs", timeoutMs: 30_000 });
  } finally {
    d("rm", "-f", id);
  }
});
