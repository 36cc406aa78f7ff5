// The engine as a whole through the command line, against docker's documented output:
// version, info, events (recorded history, live stream, filters, formats), diff, and
// system prune.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { BIN, cliSuite, isRoot, mydocker, mydockerAsync, NOT_ROOT, waitFor } from "../helpers/cli.js";

const skip = isRoot() ? false : NOT_ROOT;
const { md, roots } = cliSuite();

/** docker's event line: time (RFC3339 with nine digits), type, action, actor id, attributes sorted. */
const EVENT_LINE_START = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) \w+ /;
const EVENT_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) (\w+) (\S+(?:: .*)?) ([0-9a-f]{64}|\S+)(?: \((.*)\))?$/;

test("version: docker's Client and Server sections; --format reads the same fields", { skip }, () => {
  const r = md("version");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Client:\n Version: {11}\d+\.\d+\.\d+\n API version: {7}1\.\d+\n/);
  assert.match(r.stdout, /\n\nServer: mydocker\n Engine:\n  Version: {10}\d+\.\d+\.\d+\n  API version: {6}1\.\d+ \(minimum version 1\.\d+\)\n/);
  assert.match(r.stdout, /  OS\/Arch: {10}linux\/(amd64|arm64)\n/);
  assert.equal(md("version", "--format", "{{.Server.Version}}").stdout, md("version", "--format", "{{.Client.Version}}").stdout);
  const json = JSON.parse(md("version", "--format", "json").stdout) as { Server: { ApiVersion: string; Components: { Name: string }[] } };
  assert.equal(json.Server.Components[0]!.Name, "Engine");
});

test("info: the containers by state, the images, the engine's root; --format", { skip }, () => {
  assert.equal(md("run", "-d", "--name", "info-up", "busybox", "sleep", "60").status, 0);
  assert.equal(md("create", "--name", "info-made", "busybox", "true").status, 0);
  try {
    const r = md("info");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Client:\n Version: {4}\S+\n Context: {4}default\n Debug Mode: false\n\nServer:\n Containers: \d+\n  Running: \d+\n  Paused: \d+\n  Stopped: \d+\n Images: \d+\n/);
    assert.match(r.stdout, /\n Storage Driver: overlay2\n/);
    assert.match(r.stdout, new RegExp(`\\n Docker Root Dir: ${roots().root}\\n`));
    const counts = md("info", "--format", "{{.Containers}} {{.ContainersRunning}} {{.ContainersStopped}} {{.Images}}").stdout.trim().split(" ").map(Number);
    const all = md("ps", "-aq").stdout.split("\n").filter(Boolean).length;
    const running = md("ps", "-q").stdout.split("\n").filter(Boolean).length;
    assert.deepEqual(counts, [all, running, all - running, md("images", "-q").stdout.split("\n").filter(Boolean).length]);
    assert.equal(md("info", "--format", "{{.ID}}").stdout, md("system", "info", "--format", "{{.ID}}").stdout, "the engine's id stays");
  } finally {
    md("rm", "-f", "info-up", "info-made");
  }
});

test("events: the recorded history of a container's life, in docker's line; filters; --format", { skip }, () => {
  const since = String(Date.now() / 1000);
  assert.equal(md("run", "--name", "ev-life", "--label", "tier=front", "busybox", "sh", "-c", "exit 3").status, 3);
  assert.equal(md("rm", "ev-life").status, 0);
  const r = md("events", "--since", since, "--until", "0s", "--filter", "container=ev-life");
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  const parsed = lines.map((l) => {
    const m = EVENT_LINE.exec(l);
    assert.ok(m, `not docker's event line: ${l}`);
    return { type: m[2], action: m[3], attrs: m[5] };
  });
  assert.deepEqual(parsed.map((p) => `${p.type} ${p.action}`), ["container create", "container start", "container die", "container destroy"]);
  assert.equal(parsed[2]!.attrs, "exitCode=3, image=busybox, name=ev-life, tier=front", "attributes sorted by name, the labels among them");

  const dies = md("events", "--since", since, "--until", "0s", "--filter", "event=die", "--filter", "label=tier=front", "--format", "{{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}");
  assert.equal(dies.stdout, "ev-life 3\n");
  const json = md("events", "--since", since, "--until", "0s", "--filter", "type=container", "--format", "json").stdout.trimEnd().split("\n");
  const first = JSON.parse(json[0]!) as { Type: string; Action: string; Actor: { ID: string }; time: number; timeNano: number; scope: string };
  assert.equal(first.Type, "container");
  assert.equal(first.scope, "local");
  assert.equal(first.time, Math.floor(first.timeNano / 1e9));
  assert.equal(md("events", "--since", String(Date.now() / 1000 + 3600), "--until", "0s").stdout, "", "nothing after since");

  const bad = md("events", "--filter", "colour=red", "--until", "0s");
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr, "mydocker: invalid filter 'colour'\n");
  const badTime = md("events", "--since", "yesterday");
  assert.equal(badTime.status, 1);
  assert.match(badTime.stderr, /failed to parse value as time or duration: "yesterday"/);
});

test("events: the restarts a container's monitor makes on its own are docker's die then start, each at its time", { skip }, async () => {
  const since = String(Date.now() / 1000);
  const id = md("run", "-d", "--network", "none", "--name", "ev-restart", "--restart", "on-failure:2", "busybox", "sh", "-c", "sleep 0.2; exit 3").stdout.trim();
  try {
    await waitFor(() => md("inspect", "-f", "{{.State.Status}} {{.RestartCount}}", id).stdout === "exited 2\n", { what: "two restarts and the end", timeoutMs: 30_000 });
    const r = md("events", "--since", since, "--until", "0s", "--filter", "container=ev-restart", "--format", "{{.Action}} {{.TimeNano}}");
    const lines = r.stdout.trimEnd().split("\n").map((l) => l.split(" "));
    assert.deepEqual(lines.map(([action]) => action), ["create", "start", "die", "start", "die", "start", "die"], r.stdout);
    const codes = md("events", "--since", since, "--until", "0s", "--filter", "container=ev-restart", "--filter", "event=die", "--format", "{{.Actor.Attributes.exitCode}}");
    assert.equal(codes.stdout, "3\n3\n3\n");
    const times = lines.map((l) => Number(l[1]));
    assert.deepEqual([...times].sort((a, b) => a - b), times, "in time order");
    // Each restart waits docker's back-off (100 ms, then 200 ms) after the run before died.
    assert.ok(times[3]! - times[2]! >= 90e6 && times[5]! - times[4]! >= 190e6, `back-off between die and start: ${r.stdout}`);
  } finally {
    md("rm", "-f", id);
  }
});

test("container, image, volume, network and builder prune ask first, in docker's words; only y goes ahead", { skip }, () => {
  const prompts: [string[], string][] = [
    [["container", "prune"], "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] "],
    [["image", "prune"], "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] "],
    [["image", "prune", "-a"], "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] "],
    [["volume", "prune"], "WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] "],
    [["volume", "prune", "-a"], "WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] "],
    [["network", "prune"], "WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] "],
    [["builder", "prune"], "WARNING! This will remove all dangling build cache. Are you sure you want to continue? [y/N] "],
  ];
  assert.equal(md("create", "--name", "ask-stopped", "busybox", "true").status, 0);
  assert.equal(md("volume", "create", "ask-vol").status, 0);
  assert.equal(md("network", "create", "ask-net").status, 0);
  try {
    for (const [args, prompt] of prompts) {
      const r = mydocker(roots(), args, { input: "n\n" });
      assert.deepEqual([r.status, r.stdout], [0, prompt], args.join(" "));
    }
    assert.match(md("ps", "-a", "--format", "{{.Names}}").stdout, /ask-stopped/, "no: nothing removed");
    assert.match(md("volume", "ls", "-q").stdout, /ask-vol/);
    assert.match(md("network", "ls", "--format", "{{.Name}}").stdout, /ask-net/);
    const yes = mydocker(roots(), ["container", "prune"], { input: "y\n" });
    assert.match(yes.stdout, /\[y\/N\] Deleted Containers:\n[0-9a-f]{64}\n/);
    assert.doesNotMatch(md("ps", "-a", "--format", "{{.Names}}").stdout, /ask-stopped/);
  } finally {
    md("rm", "-f", "ask-stopped");
    md("volume", "rm", "ask-vol");
    md("network", "rm", "ask-net");
  }
});

test("a container its monitor will run again is Restarting (CODE) between its runs; stopped then, it exits with no second die", { skip }, async () => {
  const since = String(Date.now() / 1000);
  const id = md("run", "-d", "--network", "none", "--name", "ev-loop", "--restart", "always", "busybox", "sh", "-c", "exit 3").stdout.trim();
  try {
    // The back-off doubles up to 10 s: the container is soon seen between two runs, by each command.
    const inspect = () => md("inspect", "-f", "{{.State.Status}} {{.State.Restarting}} {{.State.ExitCode}}", id).stdout;
    await waitFor(() => inspect() === "restarting true 3\n", { what: "inspect to say restarting", timeoutMs: 30_000 });
    const ps = () => md("ps", "-a", "--filter", "name=ev-loop", "--format", "{{.Status}} {{.State}}").stdout;
    await waitFor(() => /^Restarting \(3\) .* ago restarting\n$/.test(ps()), { what: "ps to say Restarting (3)", timeoutMs: 30_000 });
    const restarting = `Container ${id} is restarting, wait until the container is running`;
    await waitFor(() => md("exec", id, "true").stderr.includes(restarting), { what: "exec to be refused as docker's, between two runs", timeoutMs: 30_000 });
    await waitFor(() => md("pause", id).stderr.includes(restarting), { what: "pause to be refused as docker's, between two runs", timeoutMs: 30_000 });
    assert.equal(md("stop", id).status, 0);
    assert.match(md("ps", "-a", "--filter", "name=ev-loop", "--format", "{{.Status}}").stdout, /^Exited \(3\) /);
    const actions = md("events", "--since", since, "--until", "0s", "--filter", "container=ev-loop", "--format", "{{.Action}}").stdout.trimEnd().split("\n");
    // Stopped in a run or between two, each run's die comes once, after its start.
    const runs = actions.filter((a) => a === "start" || a === "die").join(" ");
    assert.match(runs, /^(start die )*start die$/, actions.join(" "));
    assert.equal(actions.at(-1), "stop");
  } finally {
    md("rm", "-f", id);
  }
});

test("events: images (import, tag, untag, save, load, delete) and volumes (create, mount, destroy)", { skip }, () => {
  const since = String(Date.now() / 1000);
  const archive = path.join(roots().root, "..", "ev.tar");
  assert.equal(md("tag", "busybox", "ev/img:1").status, 0);
  assert.equal(md("save", "-o", archive, "ev/img:1").status, 0);
  assert.equal(md("rmi", "ev/img:1").status, 0);
  assert.equal(md("load", "-i", archive).status, 0);
  const imported = md("import", archive, "ev/imported:1").stdout.trim();
  assert.equal(md("rmi", "ev/img:1", "ev/imported:1").status, 0);
  assert.equal(md("run", "--rm", "-v", "ev-vol:/data:ro", "busybox", "true").status, 0);
  assert.equal(md("volume", "rm", "ev-vol").status, 0);
  const events = md("events", "--since", since, "--until", "0s", "--filter", "type=image", "--filter", "type=volume", "--format", "{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}").stdout;
  const busybox = md("images", "-q", "--no-trunc", "busybox").stdout.trim();
  assert.deepEqual(events.trimEnd().split("\n"), [
    `image tag ${busybox} ev/img:1`,
    `image save ${busybox} ev/img:1`,
    `image untag ${busybox} ${busybox}`,
    "image load ev/img:1 ev/img:1",
    `image import ${imported} ev/imported:1`,
    `image untag ${busybox} ${busybox}`,
    `image untag ${imported} ${imported}`,
    `image delete ${imported} ${imported}`,
    "volume create ev-vol <no value>",
    "volume mount ev-vol <no value>",
    "volume destroy ev-vol <no value>",
  ]);
  const mount = md("events", "--since", since, "--until", "0s", "--filter", "event=mount", "--format", "{{json .Actor.Attributes}}").stdout;
  const attrs = JSON.parse(mount) as Record<string, string>;
  assert.equal(attrs.destination, "/data");
  assert.equal(attrs["read/write"], "false");
  assert.match(attrs.container!, /^[0-9a-f]{64}$/);
  assert.equal(md("events", "--since", since, "--until", "0s", "--filter", "volume=ev-vol", "--format", "{{.Action}}").stdout, "create\nmount\ndestroy\n");
});

test("events: networks (create, connect at a run's start, disconnect at its end, destroy)", { skip }, () => {
  const since = String(Date.now() / 1000);
  assert.equal(md("network", "create", "ev-net").status, 0);
  try {
    const id = md("run", "-d", "--network", "ev-net", "busybox", "true").stdout.trim();
    assert.equal(md("wait", id).stdout, "0\n");
    assert.equal(md("rm", id).status, 0);
    assert.equal(md("network", "rm", "ev-net").status, 0);
    const netId = /^\S+ network create ([0-9a-f]{64}) /m.exec(md("events", "--since", since, "--until", "0s", "--filter", "network=ev-net").stdout)?.[1];
    assert.ok(netId, "the create event names the network's id");
    const r = md("events", "--since", since, "--until", "0s", "--filter", "network=ev-net", "--format", "{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}} {{.Actor.Attributes.container}}");
    assert.deepEqual(r.stdout.trimEnd().split("\n"), [
      `create ${netId} ev-net <no value>`,
      `connect ${netId} ev-net ${id}`,
      `disconnect ${netId} ev-net ${id}`,
      `destroy ${netId} ev-net <no value>`,
    ]);
  } finally {
    md("network", "rm", "ev-net");
  }
});

test("events ends quietly when its reader goes away (events | head -1)", { skip }, () => {
  const r = spawnSync("sh", ["-c", `"${BIN}" events --since 1h --until 0s | head -1`], { env: roots().env, encoding: "utf8", timeout: 20_000 });
  assert.equal(r.status, 0);
  assert.match(r.stdout, EVENT_LINE_START);
  assert.equal(r.stderr, "", "no error, no stack trace");
});

test("events without --until: a live stream of what other commands do", { skip }, async () => {
  const live = mydockerAsync(roots(), ["events", "--filter", "container=ev-live", "--format", "{{.Action}}"]);
  try {
    // The stream starts once the command is up: a run before that is history, not shown, and
    // one under way then shows in part. Runs are made until one shows whole.
    const whole = "create\nstart\ndie\ndestroy\n";
    await waitFor(() => md("run", "--rm", "--name", "ev-live", "busybox", "true").status === 0 && live.out().includes(whole), {
      what: "a whole run's events on the live stream",
    });
    assert.match(live.out(), /^(?:(?:create|start|die|destroy)\n)+$/, "only the filtered container's events");
  } finally {
    live.child.kill("SIGKILL");
    await live.done;
  }
});

test("diff: A, C and D over the image, sorted by path, as docker's overlay2", { skip }, () => {
  assert.equal(md("run", "--name", "df", "busybox", "sh", "-c", "echo x > /etc/added; rm /etc/group; mkdir -p /opt/a/b; touch /opt/a/b/c; echo >> /etc/passwd").status, 0);
  try {
    const r = md("diff", "df");
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, ["C /etc", "A /etc/added", "D /etc/group", "C /etc/passwd", "A /opt", "A /opt/a", "A /opt/a/b", "A /opt/a/b/c", ""].join("\n"));
    assert.equal(md("container", "diff", "df").stdout, r.stdout);
    const missing = md("diff", "no-such-ctr");
    assert.equal(missing.status, 1, "docker's status for an error from the daemon");
    assert.match(missing.stderr, /No such container: no-such-ctr/);
  } finally {
    md("rm", "-f", "df");
  }
});

test("system prune: asks first; -f removes stopped containers and dangling images; -a and --volumes more", { skip }, () => {
  assert.equal(md("create", "--name", "pr-stopped", "-v", "/data", "busybox", "true").status, 0);
  assert.equal(md("run", "-d", "--name", "pr-up", "busybox", "sleep", "60").status, 0);
  assert.equal(md("tag", "busybox", "pr/kept:1").status, 0);
  assert.equal(md("network", "create", "pr-net").status, 0);
  try {
    const asked = md("system", "prune");
    assert.equal(asked.status, 0);
    assert.match(asked.stdout, /^WARNING! This will remove:\n {2}- all stopped containers\n {2}- all networks not used by at least one container\n {2}- all dangling images\n\nAre you sure you want to continue\? \[y\/N\] $/);
    assert.match(md("ps", "-a", "--format", "{{.Names}}").stdout, /pr-stopped/, "no answer: nothing removed");

    const r = md("system", "prune", "-f");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Deleted Containers:\n[0-9a-f]{64}\n\nDeleted Networks:\npr-net\n\nTotal reclaimed space: \d+(\.\d+)?[kMG]?B\n$/);
    assert.doesNotMatch(md("network", "ls", "--format", "{{.Name}}").stdout, /pr-net/);
    const names = md("ps", "-a", "--format", "{{.Names}}").stdout;
    assert.doesNotMatch(names, /pr-stopped/);
    assert.match(names, /pr-up/, "a running container stays");
    assert.equal(md("volume", "ls", "-q").stdout.split("\n").filter(Boolean).length, 1, "volumes stay without --volumes");

    assert.equal(md("run", "--name", "pr-other", "pr/kept:1", "true").status, 0);
    assert.equal(md("rm", "pr-other").status, 0);
    const all = md("system", "prune", "-a", "--volumes", "-f");
    assert.equal(all.status, 0, all.stderr);
    assert.match(all.stdout, /^Deleted Volumes:\n[0-9a-f]{64}\n\nTotal reclaimed space: /, "the image in use by pr-up stays: it is the only one");
    assert.equal(md("volume", "ls", "-q").stdout, "");

    // A named image prune -a removes: its names go first, as docker lists and records them.
    const since = String(Date.now() / 1000);
    assert.equal(md("commit", "pr-up", "pr/extra:1").status, 0);
    const images = md("image", "prune", "-a", "-f");
    assert.match(images.stdout, /^Deleted Images:\nuntagged: pr\/extra:1\ndeleted: sha256:[0-9a-f]{64}\n\nTotal reclaimed space: /);
    const events = md("events", "--since", since, "--until", "0s", "--filter", "type=image", "--format", "{{.Action}}");
    assert.equal(events.stdout, "untag\ndelete\n");
  } finally {
    md("rm", "-f", "pr-up", "pr-stopped");
    md("rmi", "pr/kept:1");
    md("network", "rm", "pr-net");
  }
});
