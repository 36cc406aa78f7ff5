// The clients people drive docker with, unchanged, against `mydocker serve`: docker-compose
// (the Python one, through the Python docker SDK), testcontainers and dockerode.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import Docker from "dockerode";
import { docker, servedSuite } from "../helpers/serve.js";
import { waitFor } from "../helpers/wait.js";

// busybox made from the host's binary (docker-compose pulls a missing image, and this machine may reach no registry).
const { skip, served: s } = servedSuite({ setup: (served) => void docker(served, ["run", "--rm", "--network", "none", "busybox", "true"]) });
const d = (...args: string[]) => docker(s(), args);
const hasCompose = spawnSync("docker-compose", ["version"]).status === 0;

test("docker-compose: two services on a network, one reaches the other by name; down leaves nothing", { skip: skip || (!hasCompose && "docker-compose is not installed (Debian's docker-compose)") }, () => {
  const dir = path.join(path.dirname(s().roots.root), "compose");
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, "docker-compose.yml"),
    [
      'version: "3.8"',
      "services:",
      "  web:",
      "    image: busybox",
      '    command: ["sh", "-c", "mkdir /www && echo from-web > /www/index.html && exec httpd -f -p 80 -h /www"]',
      "    networks: [back]",
      "  client:",
      "    image: busybox",
      '    command: ["sh", "-c", "for i in $$(seq 100); do wget -q -O - http://web/ && exit 0; sleep 0.1; done; exit 1"]',
      "    depends_on: [web]",
      "    networks: [back]",
      "networks:",
      "  back: {}",
    ].join("\n"),
  );
  const compose = (...args: string[]) => spawnSync("docker-compose", ["-p", "mdkcompose", ...args], { cwd: dir, env: s().env, encoding: "utf8", timeout: 120_000 });
  const up = compose("up", "-d");
  assert.equal(up.status, 0, up.stderr);
  const bridge = `mdk${d("network", "inspect", "-f", "{{.Id}}", "mdkcompose_back").stdout.slice(0, 12)}`;
  assert.equal(spawnSync("ip", ["link", "show", bridge]).status, 0, `the network's bridge ${bridge} is up`);
  const code = d("wait", "mdkcompose_client_1");
  assert.equal(code.stdout, "0\n", code.stderr);
  assert.equal(compose("logs", "--no-color", "client").stdout.includes("from-web"), true);
  const down = compose("down", "-t", "1");
  assert.equal(down.status, 0, down.stderr);
  assert.equal(d("ps", "-aq", "--filter", "label=com.docker.compose.project=mdkcompose").stdout, "");
  assert.doesNotMatch(d("network", "ls", "--format", "{{.Name}}").stdout, /mdkcompose/);
  assert.notEqual(spawnSync("ip", ["link", "show", bridge]).status, 0, "down removed the bridge");
});

test("docker-compose: a named volume and a bind (compose sends each path in Volumes and Binds both); down -v removes the volume", { skip: skip || (!hasCompose && "docker-compose is not installed (Debian's docker-compose)") }, () => {
  const dir = path.join(path.dirname(s().roots.root), "compose-volumes");
  fs.mkdirSync(path.join(dir, "host"), { recursive: true });
  fs.writeFileSync(path.join(dir, "host", "in"), "from-host\n");
  fs.writeFileSync(
    path.join(dir, "docker-compose.yml"),
    [
      'version: "3.8"',
      "services:",
      "  job:",
      "    image: busybox",
      '    command: ["sh", "-c", "cat /h/in > /data/copied"]',
      "    network_mode: none",
      "    volumes: [data:/data, ./host:/h]",
      "volumes:",
      "  data: {}",
    ].join("\n"),
  );
  const compose = (...args: string[]) => spawnSync("docker-compose", ["-p", "mdkvols", ...args], { cwd: dir, env: s().env, encoding: "utf8", timeout: 120_000 });
  const up = compose("up", "--exit-code-from", "job");
  assert.equal(up.status, 0, up.stderr);
  const read = d("run", "--rm", "--network", "none", "-v", "mdkvols_data:/data", "busybox", "cat", "/data/copied");
  assert.equal(read.stdout, "from-host\n", read.stderr);
  const down = compose("down", "-v");
  assert.equal(down.status, 0, down.stderr);
  assert.doesNotMatch(d("volume", "ls", "--format", "{{.Name}}").stdout, /mdkvols/);
});

test("testcontainers: a container with a published port, ready on a log message", { skip }, async () => {
  process.env.DOCKER_HOST = `unix://${s().socket}`;
  // Ryuk, its reaper, is an image of its own (pulled from Docker Hub): the test stops what it starts.
  process.env.TESTCONTAINERS_RYUK_DISABLED = "true";
  const { GenericContainer, Wait } = await import("testcontainers");
  const c = await new GenericContainer("busybox")
    .withCommand(["sh", "-c", "mkdir /www && echo tc-ok > /www/index.html && echo server ready && exec httpd -f -p 8080 -h /www"])
    .withExposedPorts(8080)
    .withWaitStrategy(Wait.forLogMessage("server ready"))
    .withStartupTimeout(60_000)
    .start();
  try {
    const res = await fetch(`http://${c.getHost()}:${c.getMappedPort(8080)}/`);
    assert.equal(await res.text(), "tc-ok\n");
  } finally {
    await c.stop({ timeout: 1 });
  }
  assert.equal(d("ps", "-aq").stdout, "");
});

const client = () => new Docker({ socketPath: s().socket });

test("dockerode: attach with stdin whose half-close ends the input; wait (next-exit) placed before start", { skip }, async () => {
  const c = await client().createContainer({
    Image: "busybox",
    Cmd: ["sh", "-c", "while read l; do echo got $l; echo err $l >&2; done; echo eof; exit 3"],
    OpenStdin: true,
    StdinOnce: true,
    HostConfig: { NetworkMode: "none" },
  });
  const stream = await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
  let out = "";
  let err = "";
  const so = new PassThrough().on("data", (b: Buffer) => (out += b));
  const se = new PassThrough().on("data", (b: Buffer) => (err += b));
  client().modem.demuxStream(stream, so, se);
  const ended = new Promise((resolve) => stream.once("end", resolve));
  const waited = c.wait({ condition: "next-exit" });
  await c.start();
  stream.write("one\ntwo\n");
  stream.end();
  assert.deepEqual(await waited, { StatusCode: 3, Error: null });
  await ended;
  assert.equal(out, "got one\ngot two\neof\n");
  assert.equal(err, "err one\nerr two\n");
  await c.remove();
});

test("dockerode: logs followed while the container is removed end cleanly", { skip }, async () => {
  const c = await client().createContainer({ Image: "busybox", Cmd: ["sh", "-c", "echo up; exec sleep 1000"], HostConfig: { NetworkMode: "none" } });
  await c.start();
  const logs = await c.logs({ follow: true, stdout: true, stderr: true });
  let got = "";
  logs.on("data", (b: Buffer) => (got += b.subarray(8)));
  const ended = new Promise<string>((resolve, reject) => {
    logs.once("end", () => resolve("end"));
    logs.once("error", reject);
  });
  await waitFor(() => got === "up\n", { what: "the first line of the followed logs" });
  await c.remove({ force: true });
  assert.equal(await ended, "end");
});

test("create: Volumes names container paths only; a host path in it is refused, not bound", { skip }, async () => {
  await assert.rejects(
    client().createContainer({ Image: "busybox", Cmd: ["true"], Volumes: { "/etc:/hostetc": {} } }),
    (e: { statusCode?: number; message: string }) => e.statusCode === 400 && /invalid volume "\/etc:\/hostetc" in Volumes/.test(e.message),
  );
  assert.equal(d("ps", "-aq").stdout, "");
});
