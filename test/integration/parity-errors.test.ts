// docker parity of errors (issue 16, defect 11): a closed pipe ends a command quietly, and
// every failure names what failed in the user's terms, with docker's exit status.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BIN, cliSuite, isRoot, NOT_ROOT } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait.js";

const skip = isRoot() ? false : NOT_ROOT;
const suite = cliSuite();
const md = suite.md;

/** `mydocker ARGS | READER` in bash: what mydocker wrote to stderr and its own exit status. */
function piped(args: string[], reader: string): { stderr: string; status: number; out: string } {
  const quoted = args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const script = `"${BIN}" ${quoted} 2>"$ERRFILE" | ${reader}; echo "status=\${PIPESTATUS[0]}"`;
  const errFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-pipe-")), "err");
  try {
    const r = spawnSync("bash", ["-c", script], { env: { ...suite.roots().env, ERRFILE: errFile }, encoding: "utf8", timeout: 60_000 });
    const status = Number(/status=(\d+)/.exec(r.stdout)?.[1]);
    return { stderr: fs.readFileSync(errFile, "utf8"), status, out: r.stdout.replace(/status=\d+\n$/, "") };
  } finally {
    fs.rmSync(path.dirname(errFile), { recursive: true, force: true });
  }
}

test("a closed pipe ends logs, logs -f and export quietly (status 141, as SIGPIPE), and export leaves the container running", { skip }, async () => {
  const id = md("run", "-d", "busybox", "sh", "-c", "seq 1 200000; sleep 300").stdout.trim();
  try {
    await waitFor(() => md("logs", "--tail", "1", id).stdout === "200000\n", { what: "the container to have written its lines" });
    for (const args of [["logs", id], ["logs", "-f", id]]) {
      const r = piped(args, "head -1");
      assert.equal(r.out, "1\n");
      assert.equal(r.stderr, "", `${args.join(" ")}: nothing on stderr`);
      assert.equal(r.status, 141);
    }
    const ex = piped(["export", id], "head -c 100 >/dev/null");
    assert.equal(ex.stderr, "");
    assert.equal(ex.status, 141);
    assert.equal(md("inspect", "-f", "{{.State.Status}}", id).stdout, "running\n", "export's freeze was undone");
  } finally {
    md("rm", "-f", id);
  }
});

test("failures name what failed: a command under a file, exec -w (126), cp to a missing directory", { skip }, () => {
  const run = md("run", "--rm", "busybox", "/etc/passwd/x");
  assert.equal(run.status, 126);
  assert.equal(run.stderr, 'mydocker: exec: "/etc/passwd/x": not a directory\n');
  const id = md("run", "-d", "busybox", "sleep", "300").stdout.trim();
  try {
    const ex = md("exec", "-w", "/missing", id, "true");
    assert.equal(ex.status, 126, "docker exec's status for a process it could not start");
    assert.match(ex.stderr, /chdir to cwd \("\/missing"\) set in config.json failed: no such file or directory/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-cp-"));
    try {
      fs.writeFileSync(path.join(dir, "f"), "x");
      const cp = md("cp", path.join(dir, "f"), `${id}:/etc/app/`);
      assert.notEqual(cp.status, 0);
      assert.equal(cp.stderr, "mydocker: destination directory /etc/app/ must exist\n");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const term = md("exec", "-t", id, "sh", "-c", "echo $TERM");
    assert.equal(term.stdout.trim(), "xterm", "exec -t sets TERM as run -t does");
    assert.equal(md("pause", id).status, 0);
    const paused = md("exec", id, "true");
    assert.deepEqual([paused.status, paused.stderr], [1, `mydocker: Container ${id} is paused, unpause the container before exec\n`], "docker's words");
    assert.equal(md("unpause", id).status, 0);
  } finally {
    md("rm", "-f", id);
  }
  const mount = md("run", "--rm", "-v", "/etc/hostname:/etc/passwd/x", "busybox", "true");
  assert.equal(mount.status, 125);
  assert.equal(mount.stderr, "mydocker: error mounting /etc/hostname on /etc/passwd/x in the container: not a directory\n");
});
