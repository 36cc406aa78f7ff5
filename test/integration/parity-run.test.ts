// docker parity of run and its neighbours (issue 16's defects): single-file binds, the
// logs of a foreground run, `--flag=true|false`, options that must be refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { cliSuite, isRoot, NOT_ROOT } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait.js";

const skip = isRoot() ? false : NOT_ROOT;
const suite = cliSuite();
const md = suite.md;

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-parity-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("-v FILE:/path binds the file itself (read-only with :ro); a missing source is still made as a directory", { skip }, (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, "app.conf");
  fs.writeFileSync(file, "setting=1\n");
  const r = md("run", "--rm", "-v", `${file}:/etc/app.conf:ro`, "busybox", "sh", "-c", "cat /etc/app.conf; echo x > /etc/app.conf 2>&1 || echo refused");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^setting=1\n/);
  assert.match(r.stdout, /refused|Read-only/);
  assert.equal(fs.readFileSync(file, "utf8"), "setting=1\n", "the host file is unchanged");
  const rw = md("run", "--rm", "-v", `${file}:/etc/app.conf`, "busybox", "sh", "-c", "echo changed > /etc/app.conf");
  assert.equal(rw.status, 0, rw.stderr);
  assert.equal(fs.readFileSync(file, "utf8"), "changed\n", "a writable file bind writes through");
  const missing = path.join(dir, "made", "here");
  const m = md("run", "--rm", "-v", `${missing}:/d`, "busybox", "test", "-d", "/d");
  assert.equal(m.status, 0, m.stderr);
  assert.ok(fs.statSync(missing).isDirectory(), "a missing source is made as a directory, as docker makes it");
});

test("booleans take =true|false as docker's do: --rm=true removes, --detach=false stays in the foreground", { skip }, () => {
  const r = md("run", "--rm=true", "-i=false", "--detach=false", "--name", "eqflags", "busybox", "echo", "hi");
  assert.deepEqual([r.status, r.stdout], [0, "hi\n"], r.stderr);
  assert.equal(md("ps", "-a", "--filter", "name=eqflags", "-q").stdout, "", "--rm=true removed the container");
  const bad = md("run", "--rm=maybe", "busybox", "true");
  assert.equal(bad.status, 125);
  assert.match(bad.stderr, /invalid argument "maybe" for "--rm" flag/);
});

test("--format 'table …' prints a header row and the rows under it, for ps and images alike", { skip }, () => {
  const id = md("run", "-d", "--name", "tbl", "-l", "tier=web", "busybox", "sleep", "60").stdout.trim();
  try {
    const ps = md("ps", "--filter", "name=tbl", "--format", "table {{.Names}}\\t{{.Label \"tier\"}}\\t{{.State}}");
    assert.equal(ps.status, 0, ps.stderr);
    assert.deepEqual(ps.stdout.split("\n"), ["NAMES     LABEL     STATE", "tbl       web       running", ""]);
    const images = md("images", "--format", "table {{.Repository}}\\t{{.Tag}}");
    assert.match(images.stdout, /^REPOSITORY   TAG\nbusybox      latest\n/);
    const inspect = md("inspect", "-f", "{{range $i, $a := .Config.Cmd}}{{$i}}:{{$a}} {{end}}{{len .Config.Cmd}} {{.Config.Cmd}}", id);
    assert.equal(inspect.stdout, "0:sleep 1:60 2 [sleep 60]\n", inspect.stderr);
  } finally {
    md("rm", "-f", id);
  }
});

test("options that cannot work are refused, never ignored: --rm with --restart, a bad --stop-signal, ps --filter status=bogus", { skip }, () => {
  const before = md("ps", "-aq").stdout;
  const conflict = md("run", "--rm", "--restart", "always", "busybox", "true");
  assert.equal(conflict.status, 125);
  assert.match(conflict.stderr, /^mydocker: Conflicting options: --restart and --rm\n$/);
  const sig = md("create", "--stop-signal", "FOO", "busybox", "true");
  assert.equal(sig.status, 1);
  assert.match(sig.stderr, /invalid --stop-signal 'FOO'/);
  assert.equal(md("ps", "-aq").stdout, before, "a refused run or create leaves no container");
  const filter = md("ps", "--filter", "status=bogus");
  assert.equal(filter.status, 1);
  assert.match(filter.stderr, /invalid filter 'status=bogus'/);
});

test("update --restart: a running container takes the new policy at its next exit", { skip }, async () => {
  const id = md("run", "-d", "busybox", "sh", "-c", "sleep 1; exit 3").stdout.trim();
  try {
    const u = md("update", "--restart", "on-failure:2", id);
    assert.equal(u.status, 0, u.stderr);
    const state = () => md("inspect", "-f", "{{.RestartCount}} {{.State.Status}} {{.HostConfig.RestartPolicy.Name}}", id).stdout.trim();
    await waitFor(() => /^[1-9]\d* /.test(state()), { what: "the container to be restarted under the updated policy", timeoutMs: 30_000 });
    await waitFor(() => / exited on-failure$/.test(state()), { what: "the restarts to end at the policy's count", timeoutMs: 30_000 });
  } finally {
    md("rm", "-f", id);
  }
});

test("stats -a shows the containers that do not run too", { skip }, () => {
  const id = md("create", "--name", "statsall", "busybox", "true").stdout.trim();
  try {
    assert.match(md("stats", "-a", "--no-stream", "--format", "{{.Name}} {{.PIDs}}").stdout, /^statsall 0$/m);
    assert.doesNotMatch(md("stats", "--no-stream", "--format", "{{.Name}}").stdout, /statsall/);
  } finally {
    md("rm", id);
  }
});

test("a foreground run keeps its log as a detached one does, stdout and stderr apart", { skip }, () => {
  const r = md("run", "--name", "fglog", "busybox", "sh", "-c", "echo out; echo err >&2");
  assert.deepEqual([r.status, r.stdout, r.stderr], [0, "out\n", "err\n"]);
  const logs = md("logs", "fglog");
  assert.deepEqual([logs.stdout, logs.stderr], ["out\n", "err\n"]);
  md("rm", "fglog");
});

test("inspect has docker's fields and values: HostConfig.Memory, NanoCpus, CpuShares, PidsLimit, Binds, Config.Hostname", { skip }, (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, "conf");
  fs.writeFileSync(file, "x");
  const id = md("run", "-d", "-m", "64m", "--cpus", "0.5", "-c", "512", "--pids-limit", "100", "-v", `${file}:/conf:ro`, "-v", "inspvol:/data", "busybox", "sleep", "300").stdout.trim();
  try {
    const f = (tpl: string) => md("inspect", "-f", tpl, id).stdout.trim();
    assert.equal(f("{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}"), `${64 * 2 ** 20} ${128 * 2 ** 20}`, "swap: as much again as the memory, as docker allows");
    assert.equal(f("{{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}}"), "500000000 512 100");
    assert.equal(f("{{json .HostConfig.Binds}}"), JSON.stringify([`${file}:/conf:ro`, "inspvol:/data"]));
    assert.equal(f("{{.Config.Hostname}}"), id.slice(0, 12));
    assert.equal(f("{{range .Mounts}}{{.Type}}:{{.Name}}:{{.RW}} {{end}}"), "bind::false volume:inspvol:true");
    assert.equal(md("update", "-m", "128m", id).status, 0);
    assert.equal(f("{{.HostConfig.Memory}}"), String(128 * 2 ** 20));
    const swapLimit = md("exec", id, "sh", "-c", "cat /sys/fs/cgroup/memory.swap.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes").stdout.trim();
    assert.ok(swapLimit === String(64 * 2 ** 20) || swapLimit === String(128 * 2 ** 20) || swapLimit === String(256 * 2 ** 20), `the swap the kernel allows: ${swapLimit}`);
  } finally {
    md("rm", "-f", id);
    md("volume", "rm", "inspvol");
  }
});
