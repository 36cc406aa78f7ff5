// The real docker CLI's run flags for limits, namespaces and health against `mydocker serve`:
// docker sends them in HostConfig and Config.Healthcheck, and they take effect as they do
// from mydocker's own command line.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { waitFor } from "../helpers/wait.js";
import { docker, servedSuite } from "../helpers/serve.js";

const { skip, served: s } = servedSuite({
  cleanup: (served) => {
    docker(served, ["rm", "-f", "addressed"]);
    docker(served, ["network", "rm", "mdkapihf"]);
  },
});

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
  // The create's warnings reach the client in the API's answer, which docker prints.
  const hostP = d("run", "--rm", "--network", "host", "-p", "127.0.0.1:1:80", "busybox", "true");
  assert.deepEqual([hostP.status, hostP.stderr], [0, "WARNING: Published ports are discarded when using host network mode\n"]);
});

test("docker run --health-cmd: the check runs and docker ps and inspect show its status", { skip }, async () => {
  const r = d("run", "-d", "--name", "hh", "--network", "none", "--health-cmd", "true", "--health-interval", "200ms", "busybox", "sleep", "300");
  assert.equal(r.status, 0, r.stderr);
  await waitFor(() => d("inspect", "-f", "{{.State.Health.Status}}", "hh").stdout === "healthy\n", { timeoutMs: 20_000, what: "healthy" });
  assert.match(d("ps", "--format", "{{.Names}} {{.Status}}").stdout, /^hh Up .* \(healthy\)$/m);
  d("rm", "-f", "hh");
});

test("docker run --dns, --dns-search, --dns-option, --add-host, --ip, --mac-address on a user network; --link and --runtime refused", { skip }, () => {
  assert.equal(d("network", "create", "mdkapihf").status, 0);
  const subnet = d("network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}}{{end}}", "mdkapihf").stdout.trim();
  const ip = subnet.replace(/\.0\/\d+$/, ".77");
  const r = d("run", "--name", "addressed", "--network", "mdkapihf", "--ip", ip, "--mac-address", "02:42:0a:59:4d:4d",
    "--dns", "10.9.9.9", "--dns-search", "example.test", "--dns-option", "ndots:3", "--add-host", "db.test:10.1.2.3",
    "busybox", "sh", "-c", "cat /etc/resolv.conf; grep db.test /etc/hosts; ip -o -4 addr show eth0; cat /sys/class/net/eth0/address");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^search example\.test$/m);
  assert.match(r.stdout, /^options ndots:3$/m);
  assert.match(r.stdout, /^10\.1\.2\.3\s+db\.test$/m);
  assert.ok(r.stdout.includes(`inet ${ip}/`), r.stdout);
  assert.match(r.stdout, /^02:42:0a:59:4d:4d$/m);
  const hc = d("inspect", "-f", "{{json .HostConfig.Dns}} {{json .HostConfig.ExtraHosts}}", "addressed");
  assert.equal(hc.stdout, '["10.9.9.9"] ["db.test:10.1.2.3"]\n', hc.stderr);
  d("rm", "addressed");
  const link = d("run", "--rm", "--link", "addressed:db", "busybox", "true");
  assert.equal(link.status, 125);
  assert.match(link.stderr, /Links \(--link\) is not supported: put the containers on a user network/);
  const runtime = d("run", "--rm", "--runtime", "crun", "busybox", "true");
  assert.match(runtime.stderr, /Runtime crun \(--runtime\) is not supported/);
});
