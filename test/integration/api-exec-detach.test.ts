// Detached execs (docker exec -d, exec start with Detach) against `mydocker serve`: exec
// inspect says the process runs while it does, then gives its exit code, and exec_die is
// recorded by the exec's own monitor, with or without the daemon running.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mydocker } from "../helpers/cli.js";
import { waitFor, waitForValue } from "../helpers/wait.js";
import { api, docker, serve, servedSuite } from "../helpers/serve.js";

const { skip, served: s } = servedSuite();
const d = (...args: string[]) => docker(s(), args);

/** Waits for /go in the container, then exits with CODE. */
const waitsForGo = (code: number) => ["sh", "-c", `while [ ! -e /go ]; do sleep 0.05; done; exit ${code}`];

test("exec start with Detach: inspect says Running until the process ends, then its ExitCode; exec_die carries it", { skip }, async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  assert.equal(d("run", "-d", "--name", "xd", "--network", "none", "busybox", "sleep", "1000").status, 0);
  const created = await api(s(), "POST", "/v1.47/containers/xd/exec", { Cmd: waitsForGo(7) });
  assert.equal(created.status, 201);
  const id: string = created.body.Id;
  assert.equal((await api(s(), "POST", `/v1.47/exec/${id}/start`, { Detach: true })).status, 200);
  const running = (await api(s(), "GET", `/v1.47/exec/${id}/json`)).body;
  assert.equal(running.Running, true);
  assert.equal(running.ExitCode, null);
  assert.ok(running.Pid > 0);
  assert.equal(d("exec", "xd", "touch", "/go").status, 0);
  const ended = await waitForValue(async () => {
    const b = (await api(s(), "GET", `/v1.47/exec/${id}/json`)).body;
    return b.Running === false ? b : undefined;
  }, { what: "the detached exec to end" });
  assert.equal(ended.ExitCode, 7);
  const died = await waitForValue(() => {
    const ev = d("events", "--since", String(since), "--until", String(Math.ceil(Date.now() / 1000) + 1), "--filter", "event=exec_die", "--format", "{{json .}}").stdout;
    return ev.split("\n").filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.Actor.Attributes.execID === id);
  }, { what: "exec_die of the detached exec" });
  assert.equal(died.Actor.Attributes.exitCode, "7");
  assert.equal(died.Actor.Attributes.name, "xd");
  d("rm", "-f", "xd");
});

test("docker exec: one exec_die per exec, with its exit code", { skip }, async () => {
  const since = String(Math.floor(Date.now() / 1000) - 1);
  assert.equal(d("run", "-d", "--name", "xonce", "--network", "none", "busybox", "sleep", "1000").status, 0);
  assert.equal(d("exec", "xonce", "sh", "-c", "exit 4").status, 4);
  const died = () =>
    d("events", "--since", since, "--until", String(Math.ceil(Date.now() / 1000) + 1), "--filter", "container=xonce", "--filter", "event=exec_die", "--format", "{{.Actor.Attributes.exitCode}}").stdout.split("\n").filter(Boolean);
  await waitFor(() => died().length > 0, { what: "exec_die" });
  // Anything recorded twice would be there by the time the container is removed.
  d("rm", "-f", "xonce");
  assert.deepEqual(died(), ["4"]);
});

test("docker exec -d: exec_die is recorded by the exec's monitor after the daemon stopped", { skip }, async () => {
  const own = await serve();
  try {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    assert.equal(docker(own, ["run", "-d", "--name", "xdown", "--network", "none", "busybox", "sleep", "1000"]).status, 0);
    const r = docker(own, ["exec", "-d", "xdown", ...waitsForGo(3)]);
    assert.equal(r.status, 0, r.stderr);
    own.daemon.kill("SIGTERM");
    await waitFor(() => own.daemon.exitCode !== null || own.daemon.signalCode !== null, { what: "the daemon to stop" });
    // The daemon is gone; the process ends now, and only its monitor is there to see it.
    assert.equal(mydocker(own.roots, ["exec", "xdown", "touch", "/go"]).status, 0);
    const died = await waitForValue(() => {
      const until = String(Math.ceil(Date.now() / 1000) + 1);
      const out = mydocker(own.roots, ["events", "--since", since, "--until", until, "--filter", "event=exec_die", "--format", "{{json .}}"]).stdout;
      return out.split("\n").filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.Actor.Attributes.exitCode === "3");
    }, { what: "exec_die recorded with no daemon" });
    assert.equal(died.Actor.ID.length, 64);
  } finally {
    await own.stop();
  }
});
