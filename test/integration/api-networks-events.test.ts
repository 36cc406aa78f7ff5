// The docker CLI against `mydocker serve`: networks, published ports and events.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { waitFor } from "../helpers/wait.js";
import { docker, dockerAsync, servedSuite } from "../helpers/serve.js";

const { skip, served: s } = servedSuite({
  cleanup: (served) => {
    docker(served, ["rm", "-f", "web", "member"]);
    docker(served, ["network", "rm", "mdkapinet"]);
  },
});

const d = (...args: string[]) => docker(s(), args);

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path: "/" }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c));
      res.on("end", () => resolve(body));
    }).on("error", reject);
  });
}

test("a published port reaches the container; ps and port show it", { skip }, async () => {
  const r = d("run", "-d", "-p", "127.0.0.1::80", "--name", "web", "busybox", "sh", "-c", "mkdir /www; echo served > /www/index.html; exec httpd -f -p 80 -h /www");
  assert.equal(r.status, 0, r.stderr);
  const mapping = d("port", "web", "80").stdout.trim();
  const m = /^127\.0\.0\.1:(\d+)$/.exec(mapping);
  assert.ok(m, `docker port said ${mapping}`);
  assert.match(d("ps", "--format", "{{.Names}} {{.Ports}}").stdout, new RegExp(`^web 127\\.0\\.0\\.1:${m[1]}->80/tcp$`, "m"));
  let body = "";
  await waitFor(async () => (body = await get(Number(m[1])).catch(() => "")) === "served\n", { what: "httpd to answer on the published port" });
  assert.equal(body, "served\n");
  assert.equal(d("rm", "-f", "web").status, 0);
});

test("network create, ls, inspect, connect, disconnect, rm", { skip }, () => {
  const id = d("network", "create", "mdkapinet").stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.match(d("network", "ls", "--format", "{{.Name}} {{.Driver}}").stdout, /^mdkapinet bridge$/m);
  assert.equal(d("run", "-d", "--name", "member", "busybox", "sleep", "1000").status, 0);
  const c = d("network", "connect", "mdkapinet", "member");
  assert.equal(c.status, 0, c.stderr);
  const members = d("network", "inspect", "-f", "{{range .Containers}}{{.Name}}{{end}}", "mdkapinet");
  assert.equal(members.stdout, "member\n");
  assert.match(d("inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", "member").stdout, /mdkapinet/);
  assert.equal(d("network", "disconnect", "mdkapinet", "member").status, 0);
  assert.equal(d("network", "inspect", "-f", "{{len .Containers}}", "mdkapinet").stdout, "0\n");
  assert.equal(d("rm", "-f", "member").status, 0);
  assert.equal(d("network", "rm", "mdkapinet").status, 0);
  const gone = d("network", "inspect", "mdkapinet");
  assert.notEqual(gone.status, 0);
});

test("events: the recorded ones in range, and live ones as they happen", { skip }, async () => {
  const since = String(Math.floor(Date.now() / 1000) - 1);
  const live = dockerAsync(s(), ["events", "--filter", "type=container", "--filter", "event=die", "--format", "{{.Actor.Attributes.name}} {{.Action}} {{.Actor.Attributes.exitCode}}"]);
  // The stream is in place once its request was answered: a marker event shows it.
  await waitFor(() => {
    d("run", "--rm", "--name", "marker", "busybox", "true");
    return live.out().includes("marker die 0");
  }, { what: "the live stream to show an event" });
  assert.equal(d("run", "--rm", "--name", "evt", "busybox", "sh", "-c", "exit 4").status, 4);
  await waitFor(() => live.out().includes("evt die 4"), { what: "the die event of evt, live" });
  live.child.kill();
  const past = d("events", "--since", since, "--until", String(Math.floor(Date.now() / 1000) + 1), "--filter", "container=evt", "--format", "{{.Action}}");
  assert.equal(past.status, 0, past.stderr);
  assert.deepEqual(past.stdout.trim().split("\n").filter((a) => ["create", "start", "die", "destroy"].includes(a)), ["create", "start", "die", "destroy"]);
});
