// The docker CLI and dockerode against `mydocker serve`, on details clients rely on:
// docker system df (GET /system/df), StdinOnce on attach, cp's refusal to turn a directory
// into a file or the reverse (noOverwriteDirNonDir), and stats' per-CPU and throttling figures.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import Docker from "dockerode";
import { api, docker, servedSuite } from "../helpers/serve.js";
import { waitFor, waitForValue } from "../helpers/wait.js";

const { skip, served: s } = servedSuite();
const d = (...args: string[]) => docker(s(), args);
const client = () => new Docker({ socketPath: s().socket });

test("docker system df: images, containers, volumes and their links, as the daemon counts them", { skip }, () => {
  assert.equal(d("volume", "create", "dfvol").status, 0);
  const r = d("run", "-d", "--name", "dfc", "--network", "none", "-v", "dfvol:/data", "busybox", "sh", "-c", "head -c 100000 /dev/zero > /data/f; touch /ready; exec sleep 1000");
  assert.equal(r.status, 0, r.stderr);
  const summary = d("system", "df", "--format", "{{.Type}} {{.TotalCount}} {{.Active}}");
  assert.equal(summary.status, 0, summary.stderr);
  assert.deepEqual(summary.stdout.trim().split("\n"), ["Images 1 1", "Containers 1 1", "Local Volumes 1 1", "Build Cache 0 0"]);
  const verbose = d("system", "df", "-v").stdout;
  assert.match(verbose, /\ndfvol +1 +\d/, verbose);
  // LOCAL VOLUMES counts the container's mounts of local volumes.
  assert.match(verbose, /busybox +"sh -c head[^"]*" +1 +/, verbose);
  d("rm", "-f", "dfc");
  d("volume", "rm", "dfvol");
});

test("GET /system/df?type=volume answers only volumes; an unknown type is refused", { skip }, async () => {
  const only = await api(s(), "GET", "/v1.47/system/df?type=volume");
  assert.equal(only.status, 200);
  assert.deepEqual(Object.keys(only.body), ["Volumes"]);
  const bad = await api(s(), "GET", "/v1.47/system/df?type=everything");
  assert.equal(bad.status, 400);
  assert.match(bad.body.message, /invalid type: everything/);
});

test("StdinOnce: docker run -i and create -i set it, run -di does not; without it a client's end of input ends only its attach", { skip }, async () => {
  assert.equal(d("create", "-i", "--name", "once", "busybox", "cat").status, 0);
  assert.equal(d("inspect", "-f", "{{.Config.StdinOnce}}", "once").stdout.trim(), "true");
  assert.equal(d("run", "-di", "--name", "open", "--network", "none", "busybox", "sh", "-c", "while read l; do echo got $l; done; echo eof").status, 0);
  assert.equal(d("inspect", "-f", "{{.Config.StdinOnce}}", "open").stdout.trim(), "false");
  const c = client().getContainer("open");
  for (const line of ["one", "two"]) {
    const stream = await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
    let out = "";
    const so = new PassThrough().on("data", (b: Buffer) => (out += b));
    client().modem.demuxStream(stream, so, new PassThrough());
    const ended = new Promise((resolve) => stream.once("end", resolve));
    stream.write(`${line}\n`);
    await waitFor(() => out.includes(`got ${line}`), { what: `the container's answer to ${line}` });
    stream.end();
    // The attach ends with the client's input; the container's stdin stays open.
    await ended;
    assert.equal((await c.inspect()).State.Running, true);
  }
  assert.doesNotMatch(d("logs", "open").stdout, /eof/);
  d("rm", "-f", "once", "open");
});

test("docker cp refuses to replace a directory with a file or a file with a directory (noOverwriteDirNonDir), and copies otherwise", { skip }, async () => {
  const r = d("run", "-d", "--name", "cpg", "--network", "none", "busybox", "sh", "-c", "mkdir -p /t/dir; echo keep > /t/dir/in; echo plain > /t/file; touch /ready; exec sleep 1000");
  assert.equal(r.status, 0, r.stderr);
  await waitFor(() => d("exec", "cpg", "test", "-e", "/ready").status === 0, { what: "the container's files" });
  const src = fs.mkdtempSync(path.join(path.dirname(s().roots.root), "cp-src-"));
  fs.writeFileSync(path.join(src, "dir"), "a file named dir\n");
  fs.mkdirSync(path.join(src, "file"));
  fs.writeFileSync(path.join(src, "new"), "new\n");
  const fileOverDir = docker(s(), ["cp", path.join(src, "dir"), "cpg:/t/"]);
  assert.notEqual(fileOverDir.status, 0);
  assert.match(fileOverDir.stderr, /cannot overwrite directory "\/t\/dir" with non-directory "\/t"/);
  const dirOverFile = docker(s(), ["cp", path.join(src, "file"), "cpg:/t/"]);
  assert.notEqual(dirOverFile.status, 0);
  assert.match(dirOverFile.stderr, /cannot overwrite non-directory "\/t\/file" with directory "\/t"/);
  assert.equal(d("exec", "cpg", "cat", "/t/dir/in", "/t/file").stdout, "keep\nplain\n");
  const copied = docker(s(), ["cp", path.join(src, "new"), "cpg:/t/"]);
  assert.equal(copied.status, 0, copied.stderr);
  assert.equal(d("exec", "cpg", "cat", "/t/new").stdout, "new\n");
  d("rm", "-f", "cpg");
});

test("stats: per-CPU usage (cgroup v1), user and kernel time, and throttling from cpu.stat under a CPU quota", { skip }, async () => {
  const r = d("run", "-d", "--name", "busy", "--network", "none", "--cpus", "0.2", "busybox", "sh", "-c", "while :; do :; done");
  assert.equal(r.status, 0, r.stderr);
  const c = client().getContainer("busy");
  // The kernel counts a throttled period when it starts and adds its time when it ends: the
  // first reading that shows one may still say 0 ns.
  const st = await waitForValue(async () => {
    const one = (await c.stats({ stream: false })) as any;
    const t = one.cpu_stats.throttling_data;
    return t.throttled_periods > 0 && t.throttled_time > 0 && one.cpu_stats.cpu_usage.usage_in_usermode > 0 ? one : undefined;
  }, { what: "the quota to throttle the busy loop, and a throttled period to end", timeoutMs: 30_000, intervalMs: 200 });
  const cpu = st.cpu_stats;
  assert.ok(cpu.throttling_data.periods >= cpu.throttling_data.throttled_periods);
  assert.equal(cpu.online_cpus, os.cpus().length);
  if (fs.existsSync("/sys/fs/cgroup/cpu,cpuacct") || fs.existsSync("/sys/fs/cgroup/cpuacct")) {
    assert.ok(Array.isArray(cpu.cpu_usage.percpu_usage) && cpu.cpu_usage.percpu_usage.length >= cpu.online_cpus, JSON.stringify(cpu.cpu_usage));
    const sum = cpu.cpu_usage.percpu_usage.reduce((a: number, b: number) => a + b, 0);
    assert.ok(Math.abs(sum - cpu.cpu_usage.total_usage) <= cpu.cpu_usage.total_usage * 0.05, `${sum} vs ${cpu.cpu_usage.total_usage}`);
  } else {
    assert.equal(cpu.cpu_usage.percpu_usage, undefined);
  }
  d("rm", "-f", "busy");
});
