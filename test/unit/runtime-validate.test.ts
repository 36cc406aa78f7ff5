import { test } from "node:test";
import assert from "node:assert/strict";
import { validateSpec } from "../../src/runtime/validate.js";
import { defaultSpec } from "../../src/runtime/defaults.js";
import { MydockerError } from "../../src/util/errors.js";

function rejects(input: unknown, message: string): void {
  assert.throws(
    () => validateSpec(input),
    (e: unknown) => e instanceof MydockerError && e.message === message && e.exitStatus === 125,
  );
}

function withChange(change: (o: any) => void): unknown {
  const o = JSON.parse(JSON.stringify(defaultSpec()));
  change(o);
  return o;
}

test("the default spec is valid and comes back unchanged", () => {
  const spec = defaultSpec();
  assert.deepEqual(validateSpec(JSON.parse(JSON.stringify(spec))), spec);
});

test("unknown fields are dropped, nulls mean absent", () => {
  const spec = validateSpec(withChange((o) => {
    o.somethingNew = 1;
    o.process.future = true;
    o.domainname = null;
  }));
  assert.equal((spec as any).somethingNew, undefined);
  assert.equal((spec.process as any).future, undefined);
  assert.equal("domainname" in spec, false);
});

test("a wrong value is refused with its JSON path", () => {
  rejects(withChange((o) => (o.process.args = ["sh", 1])), "config.json: process.args[1]: must be a string");
  rejects(withChange((o) => delete o.process.user), "config.json: process.user: is required");
  rejects(withChange((o) => (o.process.user.uid = -1)), "config.json: process.user.uid: must be between 0 and 4294967295");
  rejects(withChange((o) => (o.process.args = [])), "config.json: process.args: must not be empty");
  rejects(withChange((o) => (o.process.cwd = "tmp")), "config.json: process.cwd: must be an absolute path");
  rejects(withChange((o) => (o.process.env = ["PATH"])), 'config.json: process.env[0]: must be of the form "NAME=VALUE"');
  rejects(withChange((o) => (o.process.capabilities.bounding[2] = "CAP_NOPE")), 'config.json: process.capabilities.bounding[2]: unknown capability "CAP_NOPE"');
  rejects(withChange((o) => (o.process.rlimits = [{ type: "RLIMIT_X", soft: 1, hard: 1 }])), 'config.json: process.rlimits[0].type: unknown rlimit "RLIMIT_X"');
  rejects(withChange((o) => (o.process.rlimits = [{ type: "RLIMIT_NOFILE", soft: 2, hard: 1 }])), "config.json: process.rlimits[0].soft: must not exceed hard");
  rejects(withChange((o) => (o.mounts[3].options = "ro")), "config.json: mounts[3].options: must be an array");
  rejects(withChange((o) => (o.linux.namespaces[1].type = "net")), "config.json: linux.namespaces[1].type: must be one of pid, network, mount, ipc, uts, user, cgroup, time");
  rejects(withChange((o) => o.linux.namespaces.push({ type: "pid" })), 'config.json: linux.namespaces[6].type: namespace "pid" is listed twice');
  rejects(withChange((o) => (o.linux.resources.memory = { limit: "1g" })), "config.json: linux.resources.memory.limit: must be an integer");
  rejects(withChange((o) => (o.linux.devices = [{ type: "c", path: "/dev/x" }])), "config.json: linux.devices[0].major: is required");
  rejects([], "config.json: (root): must be an object");
});

test("rules across fields", () => {
  rejects(withChange((o) => (o.linux.namespaces = [{ type: "mount" }])), "config.json: hostname: requires a uts namespace");
  rejects(withChange((o) => (o.linux.namespaces = [{ type: "uts" }])), "config.json: linux.namespaces: must include a mount namespace");
  rejects(withChange((o) => (o.linux.sysctl = { "vm.swappiness": "1" })), "config.json: linux.sysctl.vm.swappiness: is not namespaced: it would change the host");
  rejects(
    withChange((o) => (o.linux.namespaces = o.linux.namespaces.filter((n: any) => n.type !== "network"), o.linux.sysctl = { "net.ipv4.ip_forward": "1" })),
    "config.json: linux.sysctl.net.ipv4.ip_forward: requires a network namespace",
  );
  rejects(withChange((o) => o.linux.namespaces.push({ type: "user" })), "config.json: linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
  rejects(withChange((o) => (o.linux.timeOffsets = { boottime: { secs: 1 } })), 'config.json: linux.timeOffsets: requires a new time namespace (linux.namespaces: {"type": "time"} without a path)');
  assert.deepEqual(validateSpec(withChange((o) => (o.linux.sysctl = { "net.ipv4.ip_forward": "1", "kernel.shmmax": "9" }))).linux?.sysctl, {
    "net.ipv4.ip_forward": "1",
    "kernel.shmmax": "9",
  });
});
