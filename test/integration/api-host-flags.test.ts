// The real docker CLI's run flags for limits, namespaces and health against `mydocker serve`:
// docker sends them in HostConfig and Config.Healthcheck, and they take effect as they do
// from mydocker's own command line.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { waitFor } from "../helpers/wait.js";
import { docker, servedSuite } from "../helpers/serve.js";

const { skip, served: s } = servedSuite();

const d = (...args: string[]) => docker(s(), args);

test("docker run --ulimit, --shm-size, --group-add, --sysctl, --ipc host, --pid host", { skip }, () => {
  const r = d("run", "--name", "hf", "--network", "none", "--ulimit", "nofile=1024:2048", "--shm-size", "32m", "--group-add", "1234",
    "--sysctl", "kernel.shmmax=1000000", "busybox", "sh", "-c", "ulimit -n; ulimit -Hn; df -k /dev/shm | tail -1; id -G; cat /proc/sys/kernel/shmmax");
  assert.equal(r.status, 0, r.stderr);
  const [soft, hard, shm, groups, shmmax] = r.stdout.trimEnd().split("\n");
  assert.deepEqual([soft, hard, shmmax], ["1024", "2048", "1000000"]);
  assert.match(shm!, /^shm\s+32768\s/);
  assert.match(groups!, / 1234$/);
  const hc = d("inspect", "-f", "{{json .HostConfig.Ulimits}} {{.HostConfig.ShmSize}} {{json .HostConfig.GroupAdd}} {{json .HostConfig.Sysctls}}", "hf");
  assert.equal(hc.stdout, '[{"Name":"nofile","Hard":2048,"Soft":1024}] 33554432 ["1234"] {"kernel.shmmax":"1000000"}\n', hc.stderr);
  d("rm", "hf");
  const host = d("run", "--rm", "--network", "none", "--ipc", "host", "--pid", "host", "busybox", "sh", "-c", "readlink /proc/self/ns/ipc; readlink /proc/self/ns/pid");
  assert.equal(host.stdout, `${fs.readlinkSync("/proc/self/ns/ipc")}\n${fs.readlinkSync("/proc/self/ns/pid")}\n`, host.stderr);
  const bad = d("run", "--rm", "--network", "none", "--ulimit", "nofile=2048:1024", "busybox", "true");
  assert.notEqual(bad.status, 0);
});

test("docker run --health-cmd: the check runs and docker ps and inspect show its status", { skip }, async () => {
  const r = d("run", "-d", "--name", "hh", "--network", "none", "--health-cmd", "true", "--health-interval", "200ms", "busybox", "sleep", "300");
  assert.equal(r.status, 0, r.stderr);
  await waitFor(() => d("inspect", "-f", "{{.State.Health.Status}}", "hh").stdout === "healthy\n", { timeoutMs: 20_000, what: "healthy" });
  assert.match(d("ps", "--format", "{{.Names}} {{.Status}}").stdout, /^hh Up .* \(healthy\)$/m);
  d("rm", "-f", "hh");
});
