// Detached containers under their monitor: the lifecycle commands end to end.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { BIN, cgroupDirs, cliSuite, isRoot, NOT_ROOT, stateDirs } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait.js";

const skip = isRoot() ? false : NOT_ROOT;
const suite = cliSuite();
const md = suite.md;

/** A script that waits until the test lets it go on (see letGo): no race with a fixed pause. */
const WAIT_GO = "while [ ! -e /tmp/go ]; do sleep 0.05; done; rm /tmp/go";

/** Lets a container waiting in WAIT_GO go on: the file is made through its process's root. */
function letGo(id: string): void {
  fs.writeFileSync(`/proc/${md("inspect", "-f", "{{.State.Pid}}", id).stdout.trim()}/root/tmp/go`, "");
}

test("run -d prints the id once the process runs; ps, inspect, logs -f, wait", { skip }, async () => {
  const r = md("run", "-d", "--name", "ticker", "busybox", "sh", "-c", `${WAIT_GO}; for i in 1 2 3; do echo line $i; done; echo bye >&2; exit 3`);
  assert.equal(r.status, 0, r.stderr);
  const id = r.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const ps = md("ps", "--format", "{{.ID}} {{.Names}} {{.State}}");
  assert.match(ps.stdout, new RegExp(`^${id.slice(0, 12)} ticker running$`, "m"));
  assert.equal(md("inspect", "-f", "{{.State.Running}} {{.Name}}", id.slice(0, 8)).stdout, "true /ticker\n");
  letGo(id);
  const follow = md("logs", "-f", "ticker");
  assert.equal(follow.stdout, "line 1\nline 2\nline 3\n");
  assert.equal(follow.stderr, "bye\n");
  assert.equal(md("wait", "ticker").stdout, "3\n");
  assert.equal(md("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "ticker").stdout, "exited 3\n");
  assert.match(md("ps", "-a", "--filter", "status=exited", "-q").stdout, new RegExp(id.slice(0, 12)));
  const tail = md("logs", "--tail", "2", "ticker");
  assert.deepEqual([tail.stdout, tail.stderr], ["line 3\n", "bye\n"], "the tail counts lines of both streams");
  assert.equal(md("rm", "ticker").status, 0);
  assert.equal(md("ps", "-aq").stdout.includes(id.slice(0, 12)), false);
});

test("stop -t 2 of a container that ignores SIGTERM takes about 2 s and ends with 137", { skip }, async () => {
  const id = md("run", "-d", "busybox", "sh", "-c", "trap '' TERM; echo ready; while true; do sleep 0.1; done").stdout.trim();
  await waitFor(() => md("logs", id).stdout === "ready\n", { what: "the trap to be set" });
  const t0 = Date.now();
  assert.equal(md("stop", "-t", "2", id).status, 0);
  const took = Date.now() - t0;
  // Below stop's default 10 s, with room for a loaded machine's slow command.
  assert.ok(took >= 1900 && took < 9000, `stop took ${took} ms`);
  assert.equal(md("inspect", "-f", "{{.State.ExitCode}}", id).stdout, "137\n");
  md("rm", id);
});

test("start of a stopped container runs again on the same filesystem", { skip }, () => {
  const id = md("run", "-d", "busybox", "sh", "-c", "echo run >> /count; wc -l < /count").stdout.trim();
  assert.equal(md("wait", id).stdout, "0\n");
  assert.equal(md("start", id).status, 0);
  assert.equal(md("wait", id).stdout, "0\n");
  assert.deepEqual(md("logs", id).stdout.trim().split("\n"), ["1", "2"]);
  md("rm", id);
});

test("exec joins the container's namespaces, passes the exit status, and -it gets a pty", { skip }, () => {
  const id = md("run", "-d", "-h", "inside", "busybox", "sleep", "30").stdout.trim();
  const r = md("exec", "-e", "X=a b", "-w", "/tmp", id, "sh", "-c", 'echo "$X"; hostname; pwd; ls /proc | grep -c "^[0-9]"; exit 4');
  assert.equal(r.status, 4, r.stderr);
  const [x, host, cwd, procs] = r.stdout.trim().split("\n");
  assert.equal(x, "a b");
  assert.equal(host, "inside");
  assert.equal(cwd, "/tmp");
  assert.ok(Number(procs) >= 2 && Number(procs) <= 4, `pids seen: ${procs}`);
  assert.equal(md("exec", "-u", "nobody", id, "id", "-u").stdout, "65534\n");
  if (spawnSync("which", ["script"]).status === 0) {
    const t = spawnSync("script", ["-qefc", `${BIN} exec -it ${id} sh -c 'tty; read v; echo "v=$v"'`, "/dev/null"], {
      env: suite.roots().env,
      input: "xyz\n",
      encoding: "utf8",
      timeout: 20_000,
    });
    assert.match(t.stdout, /\/dev\/pts\/\d+/);
    assert.match(t.stdout, /v=xyz/);
  }
  assert.equal(md("rm", "-f", id).status, 0);
});

test("names are unique: of 8 concurrent run --name x, exactly one wins", { skip }, async () => {
  const runs = Array.from({ length: 8 }, () =>
    new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const c = spawn(BIN, ["run", "-d", "--name", "racer", "busybox", "sleep", "30"], { env: suite.roots().env });
      let stderr = "";
      c.stderr.on("data", (d: Buffer) => (stderr += d));
      c.on("close", (status) => resolve({ status, stderr }));
    }),
  );
  const results = await Promise.all(runs);
  assert.equal(results.filter((r) => r.status === 0).length, 1);
  for (const r of results.filter((x) => x.status !== 0)) assert.match(r.stderr, /is already in use/);
  assert.equal(md("rm", "-f", "racer").status, 0);
});

test("--restart on-failure:2 restarts twice", { skip }, async () => {
  const id = md("run", "-d", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo attempt; exit 1").stdout.trim();
  await waitFor(() => md("inspect", "-f", "{{.RestartCount}} {{.State.Status}}", id).stdout === "2 exited\n", { what: "two restarts", intervalMs: 200 });
  assert.equal(md("logs", id).stdout, "attempt\nattempt\nattempt\n");
  md("rm", id);
});

test("volumes: a named volume outlives its container; a :ro bind refuses writes", { skip }, () => {
  assert.equal(md("run", "--rm", "-v", "keep:/data", "busybox", "sh", "-c", "echo kept > /data/file").status, 0);
  assert.equal(md("run", "--rm", "-v", "keep:/data", "busybox", "cat", "/data/file").stdout, "kept\n");
  assert.match(md("volume", "ls", "-q").stdout, /^keep$/m);
  const host = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-bind-"));
  fs.writeFileSync(path.join(host, "f"), "host file\n");
  const ro = md("run", "--rm", "-v", `${host}:/h:ro`, "busybox", "sh", "-c", "cat /h/f; echo x > /h/g");
  assert.equal(ro.stdout, "host file\n");
  assert.notEqual(ro.status, 0);
  assert.match(ro.stderr, /Read-only file system/);
  assert.equal(fs.existsSync(path.join(host, "g")), false);
  fs.rmSync(host, { recursive: true });
  const inUse = md("run", "-d", "-v", "keep:/data", "busybox", "sleep", "30").stdout.trim();
  assert.match(md("volume", "rm", "keep").stderr, /volume is in use/);
  md("rm", "-f", inUse);
  assert.equal(md("volume", "rm", "keep").status, 0);
});

test("kill -9 of a monitor: the container shows as exited and nothing is leaked", { skip }, async () => {
  const id = md("run", "-d", "busybox", "sleep", "30").stdout.trim();
  const state = JSON.parse(fs.readFileSync(path.join(suite.roots().runRoot, id, "state.json"), "utf8")) as { shimPid: number; pid: number };
  process.kill(state.shimPid, "SIGKILL");
  await waitFor(() => {
    try {
      process.kill(state.pid, 0);
      return false;
    } catch {
      return true;
    }
  }, { what: "the container to die with its monitor" });
  assert.match(md("ps", "-a", "--format", "{{.ID}} {{.State}}").stdout, new RegExp(`^${id.slice(0, 12)} exited$`, "m"));
  assert.equal(fs.existsSync(path.join(suite.roots().runRoot, id)), false, "runtime state released");
  assert.deepEqual(cgroupDirs(`${suite.roots().cgroupParent}/${id}`), [], "cgroup released");
  md("rm", id);
});

test("50 detached containers, 8 at a time: listed, stopped, removed, nothing left", { skip }, async () => {
  const start = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const c = spawn(BIN, ["run", "-d", "--label", "batch=50", "busybox", "sleep", "60"], { env: suite.roots().env });
      let out = "";
      c.stdout.on("data", (d: Buffer) => (out += d));
      c.on("close", (s) => (s === 0 ? resolve(out.trim()) : reject(new Error(`run -d exited ${s}`))));
    });
  const ids: string[] = [];
  for (let i = 0; i < 50; i += 8) ids.push(...(await Promise.all(Array.from({ length: Math.min(8, 50 - i) }, start))));
  const listed = md("ps", "-q", "--no-trunc", "--filter", "label=batch=50").stdout.trim().split("\n");
  assert.equal(listed.length, 50);
  assert.deepEqual(new Set(listed), new Set(ids));
  assert.equal(md("stop", "-t", "1", ...ids).status, 0);
  assert.equal(md("rm", ...ids).status, 0);
  assert.equal(md("ps", "-aq", "--filter", "label=batch=50").stdout, "");
  assert.deepEqual(stateDirs(suite.roots().runRoot), []);
  for (const id of ids) assert.equal(fs.existsSync(path.join(suite.roots().root, "containers", id)), false);
});

test("--log-opt max-size with max-file=2 rotates the CRI log to .1; logs reads across both, in order", { skip }, async () => {
  const id = md("run", "-d", "--log-opt", "max-size=1k", "--log-opt", "max-file=2", "busybox", "sh", "-c", "i=0; while [ $i -lt 300 ]; do echo line-$i; i=$((i+1)); done").stdout.trim();
  assert.equal(md("wait", id).stdout, "0\n");
  const logPath = md("inspect", "-f", "{{.LogPath}}", id).stdout.trim();
  const current = fs.readFileSync(logPath, "utf8");
  const rotated = fs.readFileSync(`${logPath}.1`, "utf8");
  for (const file of [current, rotated]) {
    assert.ok(Buffer.byteLength(file) <= 1024, `a log file holds at most max-size bytes, got ${Buffer.byteLength(file)}`);
    for (const line of file.trimEnd().split("\n")) assert.match(line, /^\d{4}-\d\d-\d\dT[\d:.]+Z stdout F line-\d+$/);
  }
  const shown = md("logs", id).stdout.trim().split("\n");
  assert.equal(shown.at(-1), "line-299");
  const first = Number(shown[0]!.slice("line-".length));
  assert.ok(first > 0, "the oldest lines were rotated away");
  assert.deepEqual(shown, Array.from({ length: 300 - first }, (_, i) => `line-${first + i}`), "what is kept is the newest lines, in order, none missing");
  md("rm", id);
});

test("container prune removes exactly the stopped containers and reports the space of their layers", { skip }, () => {
  const stopped = md("run", "-d", "busybox", "sh", "-c", "head -c 300000 /dev/zero > /blob").stdout.trim();
  const created = md("create", "busybox", "true").stdout.trim();
  const running = md("run", "-d", "busybox", "sleep", "60").stdout.trim();
  assert.equal(md("wait", stopped).stdout, "0\n");
  const r = md("container", "prune", "-f");
  assert.equal(r.status, 0, r.stderr);
  const deleted = r.stdout.split("\n").filter((l) => /^[0-9a-f]{64}$/.test(l));
  assert.ok(deleted.includes(stopped) && deleted.includes(created) && !deleted.includes(running), r.stdout);
  const space = /Total reclaimed space: ([\d.]+)(kB|MB)\n$/.exec(r.stdout);
  assert.ok(space, r.stdout);
  const bytes = Number(space[1]) * (space[2] === "MB" ? 1e6 : 1e3);
  assert.ok(bytes >= 300_000 && bytes < 400_000, `reclaimed ${space[0]}`);
  const left = md("ps", "-aq", "--no-trunc").stdout.trim().split("\n");
  assert.ok(left.includes(running) && !left.includes(stopped) && !left.includes(created), left.join(" "));
  md("rm", "-f", running);
});

function gone(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

function parentOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

test("--restart always is carried out by the monitor itself; stop and kill end it", { skip }, async () => {
  const inspect = (id: string, f: string) => md("inspect", "-f", f, id).stdout.trim();
  // The first run waits for the test to have seen it; the restarts end at once.
  const id = md("run", "-d", "--restart", "always", "busybox", "sh", "-c", `[ -e /tmp/ran ] && exit 2; touch /tmp/ran; ${WAIT_GO}; exit 2`).stdout.trim();
  const first = Number(inspect(id, "{{.State.Pid}}"));
  const monitor = parentOf(first);
  assert.equal(fs.readFileSync(`/proc/${monitor}/comm`, "utf8"), "mydocker-shim\n");
  letGo(id);
  await waitFor(() => Number(inspect(id, "{{.RestartCount}}")) >= 2, { what: "two restarts", intervalMs: 100 });
  const later = Number(inspect(id, "{{.State.Pid}}"));
  assert.notEqual(later, first);
  if (fs.existsSync(`/proc/${later}`)) assert.equal(parentOf(later), monitor, "the same monitor started the new run");
  assert.equal(md("stop", "-t", "2", id).status, 0);
  const count = inspect(id, "{{.RestartCount}}");
  // Time for a wrong restart to show; none may come.
  await sleep(1500);
  assert.equal(inspect(id, "{{.State.Status}} {{.RestartCount}}"), `exited ${count}`, "stopped means no more restarts");
  await waitFor(() => gone(monitor), { what: "the monitor to be gone (at most a zombie its new parent did not reap yet)" });

  const killed = md("run", "-d", "--restart", "always", "busybox", "sleep", "60").stdout.trim();
  assert.equal(md("kill", killed).status, 0);
  await waitFor(() => inspect(killed, "{{.State.Status}}") === "exited", { what: "the kill", intervalMs: 100 });
  await sleep(1000);
  assert.equal(inspect(killed, "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}"), "exited 0 137");
  md("rm", id, killed);
});

test("a restart's die note that comes after the next run was seen leaves the container running; after a stop, stopped", { skip }, async () => {
  const inspect = (id: string, f: string) => md("inspect", "-f", f, id).stdout.trim();
  const id = md("run", "-d", "--restart", "always", "busybox", "sleep", "120").stdout.trim();
  const pid = Number(inspect(id, "{{.State.Pid}}"));
  process.kill(pid, "SIGKILL");
  // inspect records the next run as soon as the monitor started it, before its notes came.
  await waitFor(() => /^running [1-9]/.test(inspect(id, "{{.State.Status}} {{.State.Pid}}")) && inspect(id, "{{.State.Pid}}") !== String(pid), { what: "the restart" });
  const started = Date.parse(inspect(id, "{{.State.StartedAt}}"));
  // The monitor's note of that death, as it comes when its command ran late on a loaded machine.
  const died = String(BigInt(started - 1) * 1_000_000n);
  assert.equal(md("container", "restarted", id, "die", "137", died).status, 0);
  assert.equal(inspect(id, "{{.State.Status}}"), "running", "the run that died is not the one recorded");
  const exec = md("exec", id, "true");
  assert.equal(exec.status, 0, exec.stderr);
  assert.equal(md("stop", "-t", "1", id).status, 0);
  assert.equal(md("container", "restarted", id, "die", "137", String(BigInt(Date.now()) * 1_000_000n)).status, 0);
  assert.equal(inspect(id, "{{.State.Status}}"), "exited", "a stopped container does not come back as restarting");
  md("rm", id);
});
