// Resource limits through the command line: flags -> spec -> cgroup driver, and the
// commands that read and change them on running containers.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { cgroupDirs, cliSuite, isRoot, NOT_ROOT } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait.js";

const skip = isRoot() ? false : NOT_ROOT;
const suite = cliSuite();
const md = suite.md;

test("-m 32m: a process that allocates 100 MiB is killed, 137, OOMKilled", { skip }, () => {
  const r = md("run", "--name", "hog", "-m", "32m", "--memory-swap", "32m", "busybox", "sh", "-c", 'x=$(head -c 104857600 /dev/zero | tr "\\0" a); echo survived');
  assert.equal(r.status, 137, r.stderr);
  assert.doesNotMatch(r.stdout, /survived/);
  assert.equal(md("inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", "hog").stdout, "true 137\n");
  md("rm", "hog");
});

test("--pids-limit 20: forks fail past the limit", { skip }, () => {
  const r = md("run", "--rm", "--pids-limit", "20", "busybox", "sh", "-c", "for i in $(seq 60); do sleep 5 & done 2>/dev/null; sleep 0.2; ls /proc | grep -c '^[0-9]'");
  assert.ok(Number(r.stdout.trim()) <= 21, `processes seen: ${r.stdout}`);
});

test("--cpuset-cpus 0 and --cpus: the kernel's view inside", { skip }, () => {
  assert.equal(md("run", "--rm", "--cpuset-cpus", "0", "busybox", "grep", "Cpus_allowed_list", "/proc/self/status").stdout, "Cpus_allowed_list:\t0\n");
  const bad = md("run", "--rm", "--cpus", "-1", "busybox", "true");
  assert.equal(bad.status, 125);
  assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
  assert.equal(md("run", "--rm", "--memory", "1k", "busybox", "true").status, 125);
});

test("pause stops a counter, unpause resumes it; ps shows Paused; top lists the processes", { skip }, async () => {
  // The count is renamed into place, so that a read never sees it half written.
  const id = md("run", "-d", "busybox", "sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /tmp/n.new; mv /tmp/n.new /tmp/n; sleep 0.05; done").stdout.trim();
  // Read through the process's root from the host: an exec would join the frozen cgroup.
  const counter = `/proc/${md("inspect", "-f", "{{.State.Pid}}", id).stdout.trim()}/root/tmp/n`;
  const count = () => (fs.existsSync(counter) ? Number(fs.readFileSync(counter, "utf8")) : 0);
  await waitFor(() => count() > 2, { what: "the counter to move" });
  assert.equal(md("pause", id).status, 0);
  assert.match(md("ps").stdout, /\(Paused\)/);
  const frozenAt = count();
  // Eight of the counter's steps: time for it to move if it were only idle, not frozen.
  await sleep(400);
  assert.equal(count(), frozenAt, "the counter stands still while paused");
  assert.equal(md("unpause", id).status, 0);
  await waitFor(() => count() > frozenAt, { what: "the counter to move again after unpause" });
  const top = md("top", id);
  assert.match(top.stdout, /^UID\s+PID\s+PPID/);
  assert.match(top.stdout, /while true/);
  md("rm", "-f", id);
});

test("update -m changes a running container's limit; stats shows docker's columns", { skip }, () => {
  const id = md("run", "-d", "-m", "64m", "busybox", "sleep", "30").stdout.trim();
  assert.equal(md("update", "-m", "48m", "--memory-swap", "96m", id).status, 0);
  const limit = fs.readdirSync("/sys/fs/cgroup").includes("memory")
    ? fs.readFileSync(`/sys/fs/cgroup/memory/${suite.roots().cgroupParent}/${id}/memory.limit_in_bytes`, "utf8").trim()
    : fs.readFileSync(`/sys/fs/cgroup/${suite.roots().cgroupParent}/${id}/memory.max`, "utf8").trim();
  assert.equal(limit, String(48 * 1024 * 1024));
  const stats = md("stats", "--no-stream", id);
  assert.match(stats.stdout, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/m);
  assert.match(stats.stdout, /48MiB/);
  const json = JSON.parse(md("stats", "--no-stream", "--format", "json", id).stdout) as { PIDs: string; MemUsage: string };
  assert.equal(json.PIDs, "1");
  md("rm", "-f", id);
  assert.deepEqual(cgroupDirs(`${suite.roots().cgroupParent}/${id}`), [], "the cgroup goes with the container");
});
