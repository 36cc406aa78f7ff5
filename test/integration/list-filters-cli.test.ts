// Listing and looking into containers and images as docker does: images REPOSITORY[:TAG],
// --digests and --filter; ps -s and ps's filters; logs -n and --details; inspect -s;
// exec --env-file; top with ps options; docker's `container …` and `image …` aliases.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { cliSuite, isRoot, NOT_ROOT, waitFor } from "../helpers/cli.js";

const skip = isRoot() ? false : NOT_ROOT;
const { md, roots } = cliSuite();
const lines = (s: string) => s.split("\n").filter(Boolean);

test("images: REPOSITORY[:TAG], --digests, and the dangling, reference, label, before and since filters", { skip }, () => {
  assert.equal(md("tag", "busybox", "lf/app:1").status, 0);
  assert.equal(md("tag", "busybox", "lf/app:2").status, 0);
  assert.equal(md("run", "--name", "lf-src", "busybox", "touch", "/x").status, 0);
  const labelled = md("commit", "-c", "LABEL tier=front", "lf-src", "lf/labelled:1").stdout.trim();
  const dangling = md("commit", "lf-src").stdout.trim();
  try {
    const fmt = ["--format", "{{.Repository}}:{{.Tag}}"];
    assert.deepEqual(lines(md("images", "lf/app", ...fmt).stdout).sort(), ["lf/app:1", "lf/app:2"]);
    assert.deepEqual(lines(md("images", "lf/app:2", ...fmt).stdout), ["lf/app:2"]);
    assert.deepEqual(lines(md("image", "ls", "--filter", "reference=lf/*:1", ...fmt).stdout).sort(), ["lf/app:1", "lf/labelled:1"]);
    assert.deepEqual(lines(md("images", "--filter", "label=tier=front", ...fmt).stdout), ["lf/labelled:1"]);
    assert.deepEqual(lines(md("images", "--filter", "dangling=true", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}").stdout), [`${dangling.slice(7, 19)} <none>:<none>`]);
    assert.ok(!md("images", "--filter", "dangling=false", "-q").stdout.includes(dangling.slice(7, 19)));
    assert.deepEqual(lines(md("images", "--filter", "since=busybox", "-q").stdout).sort(), [labelled.slice(7, 19), dangling.slice(7, 19)].sort());
    assert.deepEqual(lines(md("images", "--filter", "before=lf/labelled:1", ...fmt).stdout).sort(), ["busybox:latest", "lf/app:1", "lf/app:2"]);

    const digests = md("images", "--digests", "lf/app:1");
    assert.equal(digests.status, 0, digests.stderr);
    const [header, row] = lines(digests.stdout);
    assert.match(header!, /^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID\s+CREATED\s+SIZE$/);
    assert.match(row!, /^lf\/app\s+1\s+<none>\s+[0-9a-f]{12}\s/, "a locally made image has no registry digest");

    const bad = md("images", "--filter", "dangling=maybe");
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr, "mydocker: invalid filter 'dangling=maybe'\n");
    assert.equal(md("images", "--filter", "colour=red").stderr, "mydocker: invalid filter 'colour'\n");
  } finally {
    md("rm", "-f", "lf-src");
    md("rmi", "lf/app:1", "lf/app:2", "lf/labelled:1", dangling);
  }
});

test("ps: -s sizes, and the before, since, exited, volume, network and health filters", { skip }, () => {
  assert.equal(md("run", "--name", "lf-a", "--network", "none", "busybox", "sh", "-c", "head -c 20000 /dev/zero > /big; exit 2").status, 2);
  assert.equal(md("run", "--name", "lf-b", "-v", "lfvol:/data", "busybox", "true").status, 0);
  assert.equal(md("run", "-d", "--name", "lf-c", "busybox", "sleep", "60").status, 0);
  try {
    const names = (...filters: string[]) => lines(md("ps", "-a", ...filters.flatMap((f) => ["--filter", f]), "--format", "{{.Names}}").stdout).sort();
    assert.deepEqual(names("before=lf-c", "name=lf-"), ["lf-a", "lf-b"]);
    assert.deepEqual(names("since=lf-a", "name=lf-"), ["lf-b", "lf-c"]);
    assert.deepEqual(names("exited=2"), ["lf-a"]);
    assert.deepEqual(names("exited=0", "name=lf-"), ["lf-b"]);
    assert.deepEqual(names("volume=lfvol"), ["lf-b"]);
    assert.deepEqual(names("volume=/data"), ["lf-b"]);
    assert.deepEqual(names("network=none", "name=lf-"), ["lf-a"]);
    assert.ok(names("network=bridge", "name=lf-").includes("lf-c"), "the default network, by name");
    const bridgeId = md("network", "inspect", "-f", "{{.Id}}", "bridge").stdout.trim();
    assert.ok(names(`network=${bridgeId}`, "name=lf-").includes("lf-c"), "and by id");
    assert.deepEqual(names("health=none", "name=lf-"), ["lf-a", "lf-b", "lf-c"], "no health check: none");
    assert.deepEqual(names("health=healthy", "name=lf-"), []);
    for (const [f, msg] of [
      ["exited=x", "invalid filter 'exited=x'"],
      ["health=fine", "invalid filter 'health=fine': use starting, healthy, unhealthy or none"],
      ["status=bogus", "invalid filter 'status=bogus': use created, restarting, running, removing, paused, exited or dead"],
    ]) {
      const r = md("ps", "--filter", f!);
      assert.equal(r.status, 1, f);
      assert.equal(r.stderr, `mydocker: ${msg}\n`);
    }

    const sized = md("ps", "-a", "-s", "--filter", "name=lf-a");
    const [header, row] = lines(sized.stdout);
    assert.match(header!, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\s+SIZE$/);
    const size = /(\d+(?:\.\d+)?)kB \(virtual (\d+(?:\.\d+)?)MB\)$/.exec(row!);
    assert.ok(size, `docker's "SIZE (virtual SIZE)": ${row}`);
    assert.ok(Number(size[1]) >= 20, "the 20 kB written");
    assert.equal(md("ps", "-a", "--filter", "name=lf-a", "--format", "{{.Size}}").stdout, `${row!.slice(row!.lastIndexOf("   ") + 3)}\n`);

    const inspected = md("inspect", "-s", "-f", "{{.SizeRw}} {{.SizeRootFs}}", "lf-a").stdout.trim().split(" ").map(Number);
    assert.ok(inspected[0]! >= 20000 && inspected[1]! > inspected[0]!, `SizeRw and SizeRootFs: ${inspected}`);
    assert.equal(md("inspect", "-f", "{{.SizeRw}}", "lf-a").stdout, "<no value>\n", "without -s, no sizes");
  } finally {
    md("rm", "-f", "lf-a", "lf-b", "lf-c");
    md("volume", "rm", "lfvol");
  }
});

test("logs -n and --details; exec --env-file; top with ps's own options", { skip }, async () => {
  assert.equal(md("run", "-d", "--name", "lf-l", "busybox", "sh", "-c", "echo one; echo two; echo three; exec sleep 60").status, 0);
  try {
    await waitFor(() => md("logs", "lf-l").stdout === "one\ntwo\nthree\n", { what: "the three lines logged" });
    assert.equal(md("logs", "-n", "2", "lf-l").stdout, "two\nthree\n");
    assert.equal(md("logs", "--tail", "1", "--details", "lf-l").stdout, " three\n", "no details given: a space, as docker");
    assert.match(md("logs", "-n", "1", "-t", "--details", "lf-l").stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z  three\n$/);

    const envFile = path.join(roots().root, "..", "exec.env");
    fs.writeFileSync(envFile, "# a comment\nGREETING=hello world\nEMPTY=\n");
    assert.equal(md("exec", "--env-file", envFile, "-e", "EMPTY=set", "lf-l", "sh", "-c", 'echo "$GREETING/$EMPTY"').stdout, "hello world/set\n");
    const missing = md("exec", "--env-file", "/nonexistent/env", "lf-l", "true");
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /--env-file \/nonexistent\/env: no such file/);

    const top = md("top", "lf-l", "-o", "pid,args");
    assert.equal(top.status, 0, top.stderr);
    const [header, ...rows] = lines(top.stdout);
    assert.match(header!, /^PID {17}COMMAND$/, "docker top's columns, 20 wide");
    assert.deepEqual(rows.map((r) => r.replace(/^\d+\s+/, "")), ["sleep 60"], "only the container's processes");
    const aux = lines(md("top", "lf-l", "aux").stdout);
    assert.match(aux[0]!, /^USER\s+PID\s+%CPU/);
    assert.equal(aux.length, 2, "ps aux selects every process: only the container's are kept");
    const noPid = md("top", "lf-l", "-o", "args");
    assert.equal(noPid.status, 1);
    assert.match(noPid.stderr, /Couldn't find PID field in ps output/);
  } finally {
    md("rm", "-f", "lf-l");
  }
});

test("docker's management aliases: container ls/rm/inspect/logs, image ls/rm/inspect/tag", { skip }, async () => {
  assert.equal(md("container", "run", "-d", "--name", "lf-al", "busybox", "echo", "aliased").status, 0);
  await waitFor(() => md("container", "logs", "lf-al").stdout === "aliased\n", { what: "container logs" });
  await waitFor(() => md("container", "wait", "lf-al").stdout === "0\n", { what: "its end" });
  assert.deepEqual(lines(md("container", "ls", "-a", "--filter", "name=lf-al", "--format", "{{.Names}}").stdout), ["lf-al"]);
  assert.deepEqual(lines(md("container", "list", "-aq", "--filter", "name=lf-al").stdout), lines(md("ps", "-aq", "--filter", "name=lf-al").stdout));
  assert.equal(md("container", "inspect", "-f", "{{.Name}}", "lf-al").stdout, "/lf-al\n");
  assert.equal(md("container", "inspect", "busybox").status, 1, "container inspect looks at containers only");
  assert.equal(md("container", "rm", "lf-al").stdout, "lf-al\n");
  assert.equal(md("image", "tag", "busybox", "lf/alias:1").status, 0);
  assert.deepEqual(lines(md("image", "list", "lf/alias", "--format", "{{.Tag}}").stdout), ["1"]);
  assert.match(md("image", "inspect", "-f", "{{.Id}}", "lf/alias:1").stdout, /^sha256:/);
  assert.equal(md("image", "rm", "lf/alias:1").stdout, "Untagged: lf/alias:1\n");
});

test("container, image and network prune --filter: until, label and label!; a bad filter removes nothing", { skip }, () => {
  assert.equal(md("create", "--name", "lf-p-gone", "--label", "gone=1", "busybox", "true").status, 0);
  assert.equal(md("create", "--name", "lf-p-kept", "busybox", "true").status, 0);
  assert.equal(md("network", "create", "--label", "gone=1", "lf-p-net").status, 0);
  assert.equal(md("network", "create", "lf-p-net2").status, 0);
  const dangling = md("commit", "lf-p-kept").stdout.trim();
  try {
    const bad = md("container", "prune", "-f", "--filter", "colour=red");
    assert.equal(bad.status, 1, "as docker: the daemon refused it");
    assert.match(bad.stderr, /invalid filter 'colour'/);
    assert.equal(md("image", "prune", "-f", "--filter", "until=someday").status, 1);
    assert.equal(md("image", "prune", "-f", "--filter", "until=1h").status, 0);
    assert.equal(md("image", "inspect", dangling).status, 0, "made within the hour: until=1h keeps it");
    assert.equal(md("container", "prune", "-f", "--filter", "label=gone").status, 0);
    assert.notEqual(md("container", "inspect", "lf-p-gone").status, 0, "the labelled container was pruned");
    assert.equal(md("container", "inspect", "lf-p-kept").status, 0, "the other one was not");
    assert.equal(md("network", "prune", "-f", "--filter", "label!=gone").status, 0);
    assert.notEqual(md("network", "inspect", "lf-p-net2").status, 0, "label!= pruned the network without the label");
    assert.equal(md("network", "inspect", "lf-p-net").status, 0, "and kept the one with it");
    assert.equal(md("image", "prune", "-f", "--filter", "label=nobody-has-it").status, 0);
    assert.equal(md("image", "inspect", dangling).status, 0);
  } finally {
    md("rm", "-f", "lf-p-gone", "lf-p-kept");
    md("network", "rm", "lf-p-net", "lf-p-net2");
    md("rmi", dangling);
  }
});
