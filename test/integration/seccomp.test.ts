// seccomp as a docker user sees it: docker's default profile on every container and exec,
// seccomp=unconfined, --privileged, a profile of one's own, and the errors of a bad one.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { cliSuite, isRoot, NOT_ROOT } from "../helpers/cli.js";

const skip = isRoot() ? false : NOT_ROOT;
const { md } = cliSuite();
let dir: string;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-seccomp-"));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const SECCOMP_LINE = ["grep", "^Seccomp:", "/proc/self/status"];
/** The Seccomp mode a container's grep printed (0 none, 2 filter); a failed command fails the test. */
function mode(r: { status: number | null; stdout: string; stderr: string }): string {
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split(/\s+/)[1];
}

function profile(name: string, body: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof body === "string" ? body : JSON.stringify(body));
  return file;
}

test("a default container and its exec run under a filter (Seccomp: 2)", { skip }, () => {
  const run = md("run", "--rm", "busybox", ...SECCOMP_LINE);
  assert.equal(mode(run), "2");
  const id = md("run", "-d", "busybox", "sleep", "60").stdout.trim();
  try {
    const exec = md("exec", id, ...SECCOMP_LINE);
    assert.equal(mode(exec), "2");
    const privileged = md("exec", "--privileged", id, ...SECCOMP_LINE);
    assert.equal(mode(privileged), "2", "exec --privileged keeps the container's filter, as docker");
  } finally {
    md("rm", "-f", id);
  }
});

test("seccomp=unconfined and --privileged run without a filter (Seccomp: 0)", { skip }, () => {
  assert.equal(mode(md("run", "--rm", "--security-opt", "seccomp=unconfined", "busybox", ...SECCOMP_LINE)), "0");
  assert.equal(mode(md("run", "--rm", "--privileged", "busybox", ...SECCOMP_LINE)), "0");
  const id = md("run", "-d", "--security-opt", "seccomp=unconfined", "busybox", "sleep", "60").stdout.trim();
  try {
    assert.equal(mode(md("exec", id, ...SECCOMP_LINE)), "0");
    const inspect = md("inspect", "-f", "{{json .HostConfig.SecurityOpt}}", id);
    assert.deepEqual(JSON.parse(inspect.stdout), ["seccomp=unconfined"]);
  } finally {
    md("rm", "-f", id);
  }
});

test("a default container cannot make namespaces: unshare -U and -m fail with EPERM", { skip }, () => {
  for (const flag of ["-U", "-m"]) {
    const r = md("run", "--rm", "busybox", "unshare", flag, "true");
    assert.notEqual(r.status, 0, `unshare ${flag} worked`);
    assert.match(r.stderr, /Operation not permitted/);
  }
  // The filter is what stops -U (no capability is needed for a user namespace).
  const unconfined = md("run", "--rm", "--security-opt", "seccomp=unconfined", "busybox", "unshare", "-U", "true");
  const userns = fs.readFileSync("/proc/sys/user/max_user_namespaces", "utf8").trim() !== "0";
  if (userns) assert.equal(unconfined.status, 0, unconfined.stderr);
});

test("a profile of one's own: a denied mkdir fails, the rest works, no_new_privs still applies", { skip }, () => {
  const file = profile("deny-mkdir.json", {
    defaultAction: "SCMP_ACT_ALLOW",
    syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 13 }],
  });
  const r = md("run", "--rm", "--security-opt", `seccomp=${file}`, "--security-opt", "no-new-privileges", "busybox", "sh", "-c",
    "mkdir /tmp/x; echo mkdir=$?; touch /tmp/y && echo touch=ok; grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /Permission denied/);
  assert.match(r.stdout, /^mkdir=1\ntouch=ok\nNoNewPrivs:\s+1\nSeccomp:\s+2\n$/);
  // The profile is kept with the container: removing the file changes nothing.
  const id = md("create", "--security-opt", `seccomp=${file}`, "busybox", "mkdir", "/tmp/z").stdout.trim();
  fs.rmSync(file);
  const start = md("start", "-a", id);
  assert.equal(start.status, 1, start.stderr);
  assert.match(md("logs", id).stderr, /Permission denied/);
  md("rm", "-f", id);
});

test("a bad profile or option is one line and exit 125, and no container is made", { skip }, () => {
  const before = md("ps", "-aq").stdout;
  const cases: [string, RegExp][] = [
    [`seccomp=${path.join(dir, "missing.json")}`, /opening seccomp profile .* failed/],
    [`seccomp=${profile("bad.json", "{not json")}`, /seccomp profile: not valid JSON/],
    [`seccomp=${profile("action.json", { defaultAction: "SCMP_ACT_MAYBE" })}`, /seccomp profile: defaultAction: must be one of/],
    ["apparmor=my-profile", /invalid --security-opt: apparmor=my-profile/],
  ];
  for (const [opt, message] of cases) {
    const r = md("run", "--rm", "--security-opt", opt, "busybox", "true");
    assert.equal(r.status, 125, opt);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
  assert.equal(md("ps", "-aq").stdout, before);
});
