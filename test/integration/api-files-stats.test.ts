// The docker CLI against `mydocker serve`: docker cp both ways (the archive endpoints), diff
// (changes), stats, exec's terminal resize, attach over a websocket, and search refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import WebSocket from "ws";
import { waitFor } from "../helpers/wait.js";
import { docker, servedSuite } from "../helpers/serve.js";

const { skip, served: s } = servedSuite();
const d = (...args: string[]) => docker(s(), args);
const dir = () => path.dirname(s().roots.root);

/** A container with a tree to copy: /d/a, /d/sub/b, /d/link -> /d/a, and /esc -> / (a symlink that would lead to the host if followed there). */
async function tree(name: string): Promise<void> {
  const r = d("run", "-d", "--name", name, "--network", "none", "busybox", "sh", "-c", "mkdir -p /d/sub; echo a > /d/a; echo b > /d/sub/b; ln -s /d/a /d/link; ln -s / /esc; touch /ready; exec sleep 1000");
  assert.equal(r.status, 0, r.stderr);
  await waitFor(() => d("exec", name, "test", "-e", "/ready").status === 0, { what: "the container's tree" });
}

const files = (root: string): string[] =>
  (fs.readdirSync(root, { recursive: true }) as string[]).map((f) => f + (fs.lstatSync(path.join(root, f)).isSymbolicLink() ? "@" : "")).sort();

test("docker cp from a container: a directory, its contents (/.), a file, a symlink as itself and with -L, a tar to stdout", { skip }, async () => {
  await tree("cpfrom");
  const out = path.join(dir(), "from");
  fs.mkdirSync(out);
  assert.equal(d("cp", "cpfrom:/d", out).status, 0);
  assert.deepEqual(files(path.join(out, "d")), ["a", "link@", "sub", "sub/b"]);
  assert.equal(d("cp", "cpfrom:/d/.", path.join(out, "contents")).status, 0);
  assert.deepEqual(files(path.join(out, "contents")), ["a", "link@", "sub", "sub/b"]);
  assert.equal(d("cp", "cpfrom:/d/sub/b", path.join(out, "renamed")).status, 0);
  assert.equal(fs.readFileSync(path.join(out, "renamed"), "utf8"), "b\n");
  assert.equal(d("cp", "cpfrom:/d/link", path.join(out, "link")).status, 0);
  assert.equal(fs.readlinkSync(path.join(out, "link")), "/d/a");
  assert.equal(d("cp", "-L", "cpfrom:/d/link", path.join(out, "followed")).status, 0);
  assert.equal(fs.readFileSync(path.join(out, "followed"), "utf8"), "a\n");
  const tar = spawnSync("sh", ["-c", 'docker cp cpfrom:/d - | tar -t | sort'], { env: s().env, encoding: "utf8" });
  assert.equal(tar.stdout, "d/\nd/a\nd/link\nd/sub/\nd/sub/b\n", tar.stderr);
  const missing = d("cp", "cpfrom:/nope", out);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /Could not find the file \/nope in container cpfrom/);
  d("rm", "-f", "cpfrom");
});

test("docker cp into a container: a file, a directory, a tar from stdin; paths resolve inside it, never on the host", { skip }, async () => {
  await tree("cpto");
  const src = path.join(dir(), "to");
  fs.mkdirSync(path.join(src, "tree", "deep"), { recursive: true });
  fs.writeFileSync(path.join(src, "host.txt"), "from the host\n");
  fs.writeFileSync(path.join(src, "tree", "deep", "f"), "deep\n");
  assert.equal(d("cp", path.join(src, "host.txt"), "cpto:/d/sub/").status, 0);
  assert.equal(d("cp", path.join(src, "host.txt"), "cpto:/d/named.txt").status, 0);
  assert.equal(d("cp", path.join(src, "tree"), "cpto:/newdir").status, 0);
  const piped = spawnSync("sh", ["-c", 'tar -C "$1" -c host.txt | docker cp - cpto:/d', "sh", src], { env: s().env, encoding: "utf8" });
  assert.equal(piped.status, 0, piped.stderr);
  const seen = d("exec", "cpto", "sh", "-c", "cat /d/sub/host.txt /d/named.txt /newdir/deep/f /d/host.txt");
  assert.equal(seen.stdout, "from the host\nfrom the host\ndeep\nfrom the host\n", seen.stderr);
  // /esc -> / in the container: the copy lands in the container's /tmp, not the host's.
  const marker = `mydocker-api-cp-${process.pid}`;
  assert.equal(d("cp", path.join(src, "host.txt"), `cpto:/esc/tmp/${marker}`).status, 0);
  assert.equal(fs.existsSync(`/tmp/${marker}`), false);
  assert.equal(d("exec", "cpto", "cat", `/tmp/${marker}`).stdout, "from the host\n");
  const nodir = d("cp", path.join(src, "host.txt"), "cpto:/nodir/x");
  assert.notEqual(nodir.status, 0);
  // A stopped container's files are copied too.
  assert.equal(d("stop", "-t", "0", "cpto").status, 0);
  const stopped = d("cp", path.join(src, "host.txt"), "cpto:/d/while-stopped");
  assert.equal(stopped.status, 0, stopped.stderr);
  const back = spawnSync("sh", ["-c", "docker cp cpto:/d/while-stopped - | tar -xO"], { env: s().env, encoding: "utf8" });
  assert.equal(back.stdout, "from the host\n", back.stderr);
  d("rm", "-f", "cpto");
});

test("docker diff lists what the container added, changed and deleted", { skip }, () => {
  const r = d("run", "--name", "differ", "--network", "none", "busybox", "sh", "-c", "mkdir /made; echo x > /made/f; rm /bin/true; echo y >> /etc/group");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(d("diff", "differ").stdout, "C /bin\nD /bin/true\nC /etc\nC /etc/group\nA /made\nA /made/f\n");
  d("rm", "differ");
});

function getJson(socket: string, p: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    http.get({ socketPath: socket, path: p }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c));
      res.on("end", () => resolve(JSON.parse(body)));
    }).on("error", reject);
  });
}

/** The first n objects of a streamed stats reply, then the connection closed. */
function streamedStats(socket: string, id: string, n: number): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: socket, path: `/v1.47/containers/${id}/stats` }, (res) => {
      let buf = "";
      const got: Record<string, unknown>[] = [];
      res.on("data", (c: Buffer) => {
        buf += c;
        let i;
        while ((i = buf.indexOf("\n")) >= 0 && got.length < n) {
          got.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
          buf = buf.slice(i + 1);
        }
        if (got.length === n) {
          req.destroy();
          resolve(got);
        }
      });
    });
    req.on("error", (e) => (req.destroyed ? undefined : reject(e)));
  });
}

test("docker stats: CPU, memory and PIDs of a busy container; the API's one-shot and streamed objects", { skip }, async () => {
  const r = d("run", "-d", "--name", "busy", "--memory", "64m", "busybox", "sh", "-c", "while true; do :; done");
  assert.equal(r.status, 0, r.stderr);
  const id = r.stdout.trim();
  const row = d("stats", "--no-stream", "--format", "{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.PIDs}}", "busy");
  assert.equal(row.status, 0, row.stderr);
  const [name, cpu, mem, pids] = row.stdout.trim().split("|");
  assert.equal(name, "busy");
  assert.ok(parseFloat(cpu!) > 1, `a busy loop uses CPU: ${cpu}`);
  assert.match(mem!, /\/ 64MiB$/);
  assert.equal(pids, "1");
  const one = (await getJson(s().socket, `/v1.47/containers/${id}/stats?stream=false`)) as Record<string, any>;
  assert.equal(one.name, "/busy");
  assert.equal(one.memory_stats.limit, 64 * 2 ** 20);
  assert.ok(one.cpu_stats.cpu_usage.total_usage > 0 && one.cpu_stats.system_cpu_usage > one.precpu_stats.system_cpu_usage);
  assert.ok(one.networks && "eth0" in one.networks, JSON.stringify(one.networks));
  const [first, second] = (await streamedStats(s().socket, id, 2)) as Record<string, any>[];
  assert.equal(second!.precpu_stats.cpu_usage.total_usage, first!.cpu_stats.cpu_usage.total_usage, "each object's precpu is the one before");
  assert.ok(Date.parse(second!.read) > Date.parse(first!.read));
  d("rm", "-f", "busy");
});

test("exec -it: the terminal takes the client's size, and a resize reaches it", { skip: skip || (!fs.existsSync("/usr/bin/script") && "script(1) is not installed: it gives docker a terminal") }, async () => {
  assert.equal(d("run", "-d", "--name", "sized", "--network", "none", "busybox", "sleep", "1000").status, 0);
  const t = spawnSync("script", ["-qec", "stty rows 33 cols 101; docker exec -it sized sh -c 'sleep 0.5; stty size'", "/dev/null"], { env: s().env, encoding: "utf8", timeout: 60_000 });
  assert.match(t.stdout, /33 101/);
  const created = d("exec", "-d", "sized", "true");
  assert.equal(created.status, 0);
  d("rm", "-f", "sized");
});

test("attach/ws: output and stdin as websocket messages; the container runs on when the client leaves; a web page's is refused", { skip }, async () => {
  assert.equal(d("run", "-d", "-i", "--name", "wsc", "--network", "none", "busybox", "sh", "-c", "echo hello; while read l; do echo got $l; echo err $l >&2; done; exec sleep 1000").status, 0);
  const ws = new WebSocket(`ws+unix://${s().socket}:/v1.47/containers/wsc/attach/ws?logs=1&stream=1&stdin=1&stdout=1&stderr=1`);
  let got = "";
  let binary = true;
  ws.on("message", (m: Buffer, isBinary: boolean) => {
    got += m.toString();
    binary &&= isBinary;
  });
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  await waitFor(() => got.includes("hello\n"), { what: "the logs over the websocket" });
  ws.send("one\n");
  await waitFor(() => got.includes("got one\n") && got.includes("err one\n"), { what: "the answer to stdin" });
  assert.ok(binary, "binary frames, as dockerd since API 1.42");
  ws.close();
  await new Promise((resolve) => ws.once("close", resolve));
  assert.equal(d("inspect", "-f", "{{.State.Running}}", "wsc").stdout, "true\n");
  const plain = await new Promise<number>((resolve) => http.get({ socketPath: s().socket, path: "/v1.47/containers/wsc/attach/ws?stream=1" }, (res) => resolve(res.statusCode!)));
  assert.equal(plain, 400, "a request without the websocket upgrade is refused");
  const fromPage = new WebSocket(`ws+unix://${s().socket}:/v1.47/containers/wsc/attach/ws?stream=1&stdin=1`, { origin: "http://evil.example" });
  const refused = await new Promise<number>((resolve) => fromPage.once("unexpected-response", (_req, res) => resolve(res.statusCode!)).once("open", () => resolve(101)));
  assert.equal(refused, 403, "a websocket a web page opens (it names its Origin) is refused");
  d("rm", "-f", "wsc");
});

test("attach/ws with logs=1 while the container writes: every line arrives, none falls between the logs and the live output", { skip }, async () => {
  // The writer is slower than the logs are read: the replay catches up with it while it writes
  // on, so a gap between the replay's end and the live output (a few ms) loses lines. Two
  // containers: one writer is likely, not sure, to be caught in such a gap.
  const lines = 20000;
  const script = `i=0; while [ $i -lt ${lines} ]; do i=$((i+1)); echo $i; j=0; while [ $j -lt 15 ]; do j=$((j+1)); done; done; echo end; exec sleep 1000`;
  for (const name of ["wsgap1", "wsgap2"]) {
    assert.equal(d("run", "-d", "--name", name, "--network", "none", "busybox", "sh", "-c", script).status, 0);
    const ws = new WebSocket(`ws+unix://${s().socket}:/v1.47/containers/${name}/attach/ws?logs=1&stream=1&stdout=1`);
    try {
      let got = "";
      ws.on("message", (m: Buffer) => (got += m.toString()));
      await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
      await waitFor(() => got.includes("end\n"), { what: `${name}'s last line over the websocket` });
      // A line written while the session was being made may come twice (in the logs and live), as with dockerd.
      const seen = new Set(got.split("\n"));
      const missing = Array.from({ length: lines }, (_, k) => String(k + 1)).filter((n) => !seen.has(n));
      assert.deepEqual(missing.slice(0, 10), [], `${missing.length} lines lost`);
    } finally {
      ws.terminate();
      d("rm", "-f", name);
    }
  }
});

test("docker search is refused with a clear message", { skip }, () => {
  const r = d("search", "busybox");
  assert.equal(r.status, 1);
  assert.match(r.stderr, /image search is not supported by mydocker/);
});

test("archive endpoints: a path with a NUL byte is the client's error (400), for HEAD, GET and PUT", { skip }, async () => {
  assert.equal(d("run", "-d", "--name", "cpnul", "--network", "none", "busybox", "sleep", "1000").status, 0);
  try {
    for (const method of ["HEAD", "GET", "PUT"]) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request({ socketPath: s().socket, method, path: "/v1.47/containers/cpnul/archive?path=/tmp/%00x" }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end();
      });
      assert.equal(status, 400, method);
    }
  } finally {
    d("rm", "-f", "cpnul");
  }
});
