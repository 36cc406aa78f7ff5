// What create refuses before anything runs, as docker's daemon does at create (a bad
// capability leaves no container), and what an image's config cannot break (a stop
// signal that is no signal still lets stop stop).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { cliSuite, isRoot, mydocker, NOT_ROOT } from "../helpers/cli.js";

const skip = isRoot() ? false : NOT_ROOT;
const { md, ok, roots } = cliSuite();

/** busybox saved, its config changed by edit, loaded back as ref: an image no builder would write. */
function loadEdited(ref: string, edit: (config: { config: Record<string, unknown> }) => void): void {
  const dir = path.join(roots().root, "..", `edit-${crypto.randomUUID()}`);
  fs.mkdirSync(dir);
  ok("save", "-o", path.join(dir, "in.tar"), "busybox");
  const tree = path.join(dir, "tree");
  fs.mkdirSync(tree);
  assert.equal(spawnSync("tar", ["-x", "-f", path.join(dir, "in.tar"), "-C", tree]).status, 0);
  const manifest = JSON.parse(fs.readFileSync(path.join(tree, "manifest.json"), "utf8")) as { Config: string; RepoTags: string[] }[];
  const config = JSON.parse(fs.readFileSync(path.join(tree, manifest[0]!.Config), "utf8"));
  edit(config);
  const bytes = Buffer.from(JSON.stringify(config));
  fs.rmSync(path.join(tree, manifest[0]!.Config));
  manifest[0]!.Config = `${crypto.createHash("sha256").update(bytes).digest("hex")}.json`;
  manifest[0]!.RepoTags = [ref];
  fs.writeFileSync(path.join(tree, manifest[0]!.Config), bytes);
  fs.writeFileSync(path.join(tree, "manifest.json"), JSON.stringify(manifest));
  fs.rmSync(path.join(tree, "repositories"), { force: true });
  assert.equal(spawnSync("tar", ["-c", "-f", path.join(dir, "out.tar"), "-C", tree, "."]).status, 0);
  ok("load", "-q", "-i", path.join(dir, "out.tar"));
}

test("create and run refuse an unknown --cap-add or --cap-drop (1 and 125, as docker) and leave no container", { skip }, () => {
  for (const flag of ["--cap-add", "--cap-drop"]) {
    for (const cmd of ["create", "run"]) {
      const r = md(cmd, flag, "BOGUS", "busybox", "true");
      assert.equal(r.status, cmd === "run" ? 125 : 1, `${cmd} ${flag}: ${r.stderr}`);
      assert.equal(r.stdout, "", `${cmd} ${flag} prints no container id`);
      assert.match(r.stderr, /invalid capability: BOGUS/);
    }
  }
  assert.equal(ok("ps", "-aq"), "", "no container was made");
  // Known names in any of docker's spellings, and ALL, are still taken.
  const id = ok("create", "--cap-add", "net_admin", "--cap-drop", "CAP_CHOWN", "--cap-drop", "all", "busybox", "true");
  ok("rm", id);
});

test("an image's STOPSIGNAL that is no signal: stop sends SIGTERM, as docker's daemon does; commit -c and build refuse one", { skip }, () => {
  loadEdited("local/bogus-signal", (c) => (c.config.StopSignal = "SIGBOGUS"));
  // A shell as PID 1 ignores SIGTERM unless it traps it: the trap's exit status shows which signal came.
  const id = ok("run", "-d", "local/bogus-signal", "sh", "-c", "trap 'exit 42' TERM; while true; do sleep 0.1; done");
  ok("stop", "-t", "20", id);
  assert.equal(ok("inspect", "-f", "{{.State.ExitCode}}", id), "42");
  ok("rm", id);
  const made = ok("create", "busybox", "true");
  const commit = md("commit", "-c", "STOPSIGNAL SIGBOGUS", made, "local/never");
  assert.equal(commit.status, 1, commit.stderr);
  assert.match(commit.stderr, /invalid STOPSIGNAL 'SIGBOGUS'/);
  ok("rm", made);
  const build = mydocker(roots(), ["build", "-q", "-"], { input: "FROM busybox\nARG S=SIGBOGUS\nSTOPSIGNAL $S\n" });
  assert.equal(build.status, 1, build.stderr);
  assert.match(build.stderr, /line 3: invalid STOPSIGNAL 'SIGBOGUS'/);
});
