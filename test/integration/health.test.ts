// Health checks: --health-* and the image's HEALTHCHECK, run by the container's monitor on
// its timer (no mydocker process stays behind a detached container), shown in ps's STATUS,
// in inspect's State.Health (docker's last results) and as health_status events.
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

interface Health {
  Status: string;
  FailingStreak: number;
  Log: { Start: string; End: string; ExitCode: number; Output: string }[];
}

function health(name: string): Health | null {
  const r = md("inspect", "-f", "{{json .State.Health}}", name);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Health | null;
}

function psStatus(name: string): string {
  const rows = md("ps", "--format", "{{.Names}}|{{.Status}}").stdout.split("\n").map((l) => l.split("|"));
  return rows.find(([n]) => n === name)?.[1] ?? "";
}

test("--health-cmd: starting, unhealthy after --health-retries failures, healthy once it passes; ps and inspect show it", { skip }, async () => {
  const r = md("run", "-d", "--name", "hc", "--health-cmd", "echo probing; test -f /tmp/ready", "--health-interval", "200ms", "--health-retries", "2",
    "busybox", "sleep", "300");
  assert.equal(r.status, 0, r.stderr);
  // Before the first check (docker's default interval, 30s) it is starting.
  assert.equal(md("run", "-d", "--name", "fresh", "--health-cmd", "true", "busybox", "sleep", "300").status, 0);
  assert.match(psStatus("fresh"), /^Up .* \(health: starting\)$/);
  assert.deepEqual(health("fresh"), { Status: "starting", FailingStreak: 0, Log: [] });
  md("rm", "-f", "fresh");
  await waitFor(() => health("hc")?.Status === "unhealthy", { timeoutMs: 20_000, what: "unhealthy" });
  const sick = health("hc")!;
  assert.ok(sick.FailingStreak >= 2, JSON.stringify(sick));
  const last = sick.Log.at(-1)!;
  assert.equal(last.ExitCode, 1);
  assert.equal(last.Output, "probing\n");
  assert.ok(Date.parse(last.Start) <= Date.parse(last.End), JSON.stringify(last));
  assert.match(psStatus("hc"), /^Up .* \(unhealthy\)$/);

  assert.equal(md("exec", "hc", "touch", "/tmp/ready").status, 0);
  await waitFor(() => health("hc")?.Status === "healthy", { timeoutMs: 20_000, what: "healthy" });
  const well = health("hc")!;
  assert.equal(well.FailingStreak, 0);
  assert.equal(well.Log.at(-1)!.ExitCode, 0);
  assert.ok(well.Log.length <= 5, "docker keeps the last five results");
  assert.match(psStatus("hc"), /^Up .* \(healthy\)$/);
  const filtered = (status: string) => md("ps", "--filter", `health=${status}`, "--format", "{{.Names}}").stdout.split("\n");
  assert.ok(filtered("healthy").includes("hc") && !filtered("unhealthy").includes("hc") && !filtered("none").includes("hc"));
  const ev = md("events", "--since", "5m", "--until", "0s", "--filter", "container=hc", "--filter", "event=health_status", "--format", "{{.Action}}");
  assert.equal(ev.status, 0, ev.stderr);
  assert.match(ev.stdout, /health_status: unhealthy\n(.*\n)*health_status: healthy\n/);
  md("rm", "-f", "hc");
});

test("--health-timeout: a check that runs too long fails with docker's message and is killed", { skip }, async () => {
  const r = md("run", "-d", "--name", "slow", "--health-cmd", "sleep 60", "--health-interval", "200ms", "--health-timeout", "300ms", "--health-retries", "1",
    "busybox", "sleep", "300");
  assert.equal(r.status, 0, r.stderr);
  await waitFor(() => health("slow")?.Status === "unhealthy", { timeoutMs: 20_000, what: "unhealthy" });
  const last = health("slow")!.Log[0]!;
  assert.equal(last.ExitCode, -1);
  assert.equal(last.Output, "Health check exceeded timeout (300ms)");
  const ended = Date.parse(last.End) - Date.parse(last.Start);
  assert.ok(ended >= 250 && ended < 5000, `ran ${ended} ms`);
  // A killed check leaves no process (nor zombie) behind: at most the one running now.
  const ps = md("exec", "slow", "ps", "-o", "pid,stat,args").stdout;
  assert.doesNotMatch(ps, / Z /, ps);
  assert.ok(ps.split("\n").filter((l) => / sleep 60$/.test(l)).length <= 1, ps);
  md("rm", "-f", "slow");
});

test("--health-start-period: failures while starting do not count", { skip }, async () => {
  const r = md("run", "-d", "--name", "grace", "--health-cmd", "false", "--health-interval", "200ms", "--health-start-period", "60s", "--health-retries", "1",
    "busybox", "sleep", "300");
  assert.equal(r.status, 0, r.stderr);
  await waitFor(() => (health("grace")?.Log.length ?? 0) >= 3, { timeoutMs: 20_000, what: "three checks" });
  const h = health("grace")!;
  assert.equal(h.Status, "starting");
  assert.equal(h.FailingStreak, 0);
  assert.match(psStatus("grace"), /\(health: starting\)$/);
  md("rm", "-f", "grace");
});

test("the image's HEALTHCHECK runs; --health-* override it and --no-healthcheck turns it off", { skip }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-health-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, "Dockerfile"), 'FROM busybox\nHEALTHCHECK --interval=200ms --retries=1 CMD ["sh", "-c", "echo from-image; exit 3"]\n');
  const b = md("build", "-q", "-t", "pc-health", dir);
  assert.equal(b.status, 0, b.stderr);

  assert.equal(md("run", "-d", "--name", "img", "pc-health", "sleep", "300").status, 0);
  await waitFor(() => health("img")?.Status === "unhealthy", { timeoutMs: 20_000, what: "the image's check to fail" });
  assert.deepEqual(health("img")!.Log[0]!.ExitCode, 3);
  assert.equal(health("img")!.Log[0]!.Output, "from-image\n");

  assert.equal(md("run", "-d", "--name", "over", "--health-cmd", "true", "pc-health", "sleep", "300").status, 0);
  await waitFor(() => health("over")?.Status === "healthy", { timeoutMs: 20_000, what: "the overriding check to pass" });
  assert.equal(md("inspect", "-f", "{{json .Config.Healthcheck.Test}} {{.Config.Healthcheck.Interval}}", "over").stdout.trim(), '["CMD-SHELL","true"] 200000000');

  assert.equal(md("run", "-d", "--name", "off", "--no-healthcheck", "pc-health", "sleep", "300").status, 0);
  assert.equal(health("off"), null);
  assert.match(psStatus("off"), /^Up [^(]*$/);
  const conflict = md("run", "--rm", "--no-healthcheck", "--health-cmd", "true", "busybox", "true");
  assert.equal(conflict.status, 125);
  assert.match(conflict.stderr, /--no-healthcheck conflicts with --health-\* options/);
  const bad = md("run", "--rm", "--health-interval", "soon", "busybox", "true");
  assert.equal(bad.status, 125);
  assert.match(bad.stderr, /invalid argument "soon" for "--health-interval" flag: time: invalid duration "soon"/);
  for (const [flag, value] of [["--health-interval", "-1s"], ["--health-retries", "-1"]]) {
    const negative = md("run", "--network", "none", "--rm", flag!, value!, "busybox", "true");
    assert.deepEqual([negative.status, negative.stderr], [125, `mydocker: ${flag} cannot be negative\n`], "docker's CLI words");
  }
  md("rm", "-f", "img", "over", "off");
  md("rmi", "pc-health");
});
