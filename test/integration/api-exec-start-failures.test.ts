// An exec whose process cannot start, through `mydocker serve` and the real docker CLI: as
// against dockerd, the CLI prints runc's words (dockerd writes them on the exec's stream) and
// exits with the exit code exec inspect gives: 127 for a command not found, 126 for one that
// cannot be executed or an unknown user; a detached one is refused with the same words.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { api, docker, servedSuite } from "../helpers/serve.js";

const { skip, served: s } = servedSuite({
  setup: (sv) => {
    const r = docker(sv, ["run", "-d", "--name", "xf", "--network", "none", "busybox", "sleep", "1000"]);
    if (r.status !== 0) throw new Error(`docker run -d: ${r.stderr}`);
  },
  cleanup: (sv) => void docker(sv, ["rm", "-f", "xf"]),
});
const d = (...args: string[]) => docker(s(), args);
const failed = (what: string) => `OCI runtime exec failed: exec failed: unable to start container process: ${what}: unknown`;
const NOT_FOUND = failed('exec: "nosuchcmd": executable file not found in $PATH');

test("docker exec of a command not found: docker's words and 127, with and without -i and -t", { skip }, () => {
  for (const flags of [[], ["-i"], ["-t"]]) {
    const r = d("exec", ...flags, "xf", "nosuchcmd");
    assert.equal(r.status, 127, `exec ${flags.join(" ")}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stdout.trim(), NOT_FOUND, `exec ${flags.join(" ")}`);
  }
  const path = d("exec", "xf", "/nosuch");
  assert.equal(path.status, 127);
  assert.equal(path.stdout.trim(), failed('exec: "/nosuch": stat /nosuch: no such file or directory'));
});

test("docker exec -it of a command not found, on a terminal: docker's words and 127", { skip: skip || (!fs.existsSync("/usr/bin/script") && "script(1) is not installed: it gives docker a terminal") }, () => {
  const t = spawnSync("script", ["-qec", "docker exec -it xf nosuchcmd", "/dev/null"], { env: s().env, encoding: "utf8", timeout: 60_000 });
  assert.equal(t.status, 127, t.stdout);
  assert.ok(t.stdout.includes(NOT_FOUND), t.stdout);
});

test("docker exec of a file that is not executable, and as an unknown user: 126", { skip }, () => {
  const file = d("exec", "xf", "/etc/passwd");
  assert.equal(file.status, 126);
  assert.equal(file.stdout.trim(), failed('exec: "/etc/passwd": permission denied'));
  for (const flags of [[], ["-i"]]) {
    const user = d("exec", ...flags, "-u", "nosuchuser", "xf", "true");
    assert.equal(user.status, 126, user.stdout + user.stderr);
    assert.equal(user.stdout.trim(), failed("unable to find user nosuchuser: no matching entries in passwd file"));
  }
  assert.equal(d("exec", "xf", "sh", "-c", "exit 3").status, 3, "a process that started still gives its own status");
});

test("exec inspect after a failed start: not running, ExitCode 127; a detached one is refused with docker's words", { skip }, async () => {
  const created = await api(s(), "POST", "/v1.47/containers/xf/exec", { Cmd: ["nosuchcmd"], AttachStdout: true, AttachStderr: true, Detach: true });
  assert.equal(created.status, 201);
  const started = await api(s(), "POST", `/v1.47/exec/${created.body.Id}/start`, { Detach: true });
  assert.equal(started.status, 400);
  assert.equal(started.body.message, NOT_FOUND);
  const inspected = (await api(s(), "GET", `/v1.47/exec/${created.body.Id}/json`)).body;
  assert.equal(inspected.Running, false);
  assert.equal(inspected.ExitCode, 127);
  const cli = d("exec", "-d", "xf", "nosuchcmd");
  assert.equal(cli.status, 1);
  assert.equal(cli.stderr.trim(), `Error response from daemon: ${NOT_FOUND}`);
});

test("docker exec -w with a relative directory is refused at create, as dockerd; -e NAME without a value takes NAME out", { skip }, () => {
  const rel = d("exec", "-w", "relative", "xf", "pwd");
  assert.equal(rel.status, 1);
  assert.equal(rel.stderr.trim(), "Error response from daemon: the working directory 'relative' is invalid, it needs to be an absolute path");
  assert.equal(d("run", "-d", "--name", "xe", "--network", "none", "-e", "KEEP=1", "busybox", "sleep", "1000").status, 0);
  try {
    // NOT_SET is in neither environment; KEEP is the container's, and not the client's.
    const env = { ...s().env };
    delete env.KEEP;
    delete env.NOT_SET;
    const r = docker({ ...s(), env }, ["exec", "-e", "NOT_SET", "-e", "KEEP", "xe", "sh", "-c", 'echo "${NOT_SET-unset} ${KEEP-unset}"']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), "unset unset");
  } finally {
    d("rm", "-f", "xe");
  }
});
