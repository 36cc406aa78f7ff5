// stats --no-stream over several containers at once: one row per running container (a
// stopped one has none), each with its own CPU share of the same interval.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cliSuite, isRoot, mydocker, NOT_ROOT, removeCgroupParent } from "../helpers/cli.js";

const skip = isRoot() ? false : NOT_ROOT;
const suite = cliSuite();
const md = suite.md;

interface Row {
  Name: string;
  CPUPerc: string;
  PIDs: string;
}

test("stats --no-stream: every running container once, the busy one busier than the idle ones", { skip }, () => {
  const run = (name: string, ...cmd: string[]) => {
    const r = md("run", "-d", "--name", name, "busybox", ...cmd);
    assert.equal(r.status, 0, r.stderr);
  };
  try {
    run("busy", "sh", "-c", "while :; do :; done");
    run("idle1", "sleep", "300");
    run("idle2", "sleep", "300");
    run("gone", "sleep", "300");
    assert.equal(md("stop", "-t", "0", "gone").status, 0);
    const r = md("stats", "--no-stream", "--format", "json");
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Row);
    assert.deepEqual(rows.map((x) => x.Name).sort(), ["busy", "idle1", "idle2"]);
    const cpu = (name: string) => Number(rows.find((x) => x.Name === name)!.CPUPerc.replace("%", ""));
    // On a loaded machine the loop gets less than a CPU, but more than a sleep ever does.
    assert.ok(cpu("busy") > 1, `busy: ${cpu("busy")}%`);
    assert.ok(cpu("busy") > cpu("idle1") && cpu("busy") > cpu("idle2"), JSON.stringify(rows));
    assert.ok(rows.every((x) => x.PIDs === "1"), JSON.stringify(rows));
  } finally {
    md("rm", "-f", "busy", "idle1", "idle2", "gone");
  }
});

test("stats --no-stream reads a container under its own --cgroup-parent, and one started under another engine cgroup parent", { skip }, () => {
  const roots = suite.roots();
  const own = `${roots.cgroupParent}-own`;
  const other = { ...roots, env: { ...roots.env, MYDOCKER_CGROUP_PARENT: `${roots.cgroupParent}-other` } };
  try {
    assert.equal(md("run", "-d", "--name", "own", "--cgroup-parent", own, "busybox", "sleep", "300").status, 0);
    const moved = mydocker(other, ["run", "-d", "--name", "moved", "busybox", "sleep", "300"]);
    assert.equal(moved.status, 0, moved.stderr);
    const r = md("stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}");
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n").sort(), ["moved 1", "own 1"]);
  } finally {
    md("rm", "-f", "own", "moved");
    removeCgroupParent(own);
    removeCgroupParent(`${roots.cgroupParent}-other`);
  }
});
