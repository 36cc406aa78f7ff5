// Which runs may hand their network namespace on to the next container (the pool's reuse):
// only those whose process could not change it and cannot outlive the container.
import { test } from "node:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import assert from "node:assert/strict";
import { defaultSpec } from "../../src/runtime/defaults.js";
import { specLeavesNetnsClean } from "../../src/engine/networks/reuse.js";
import type { Spec } from "../../src/spec/runtime.js";

function spec(change: (s: Spec) => void): Spec {
  const s = defaultSpec();
  change(s);
  return s;
}

test("docker's defaults leave the namespace as it was made", () => {
  assert.equal(specLeavesNetnsClean(defaultSpec()), true);
  assert.equal(specLeavesNetnsClean(spec((s) => s.process!.capabilities!.bounding!.push("CAP_NET_RAW"))), true);
  assert.equal(specLeavesNetnsClean(spec((s) => (s.linux!.sysctl = { "kernel.shmmax": "1" }))), true);
  // A bound file (the generated /etc files, --init) is no channel to another container.
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-reuse-")), "hosts");
  fs.writeFileSync(file, "");
  assert.equal(specLeavesNetnsClean(spec((s) => s.mounts!.push({ destination: "/etc/hosts", source: file, type: "bind", options: ["rbind"] }))), true);
  fs.rmSync(path.dirname(file), { recursive: true });
});

test("a process that may change the namespace, or outlive the container in it, is refused", () => {
  const refused: [string, (s: Spec) => void][] = [
    ["CAP_NET_ADMIN", (s) => s.process!.capabilities!.bounding!.push("CAP_NET_ADMIN")],
    ["CAP_SYS_ADMIN (remounts /proc/sys)", (s) => s.process!.capabilities!.permitted!.push("CAP_SYS_ADMIN")],
    ["a writable /proc/sys", (s) => (s.linux!.readonlyPaths = [])],
    ["a net. sysctl", (s) => (s.linux!.sysctl = { "net.ipv4.ip_forward": "1" })],
    ["the host's PID namespace", (s) => (s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== "pid"))],
    ["another container's PID namespace", (s) => (s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === "pid" ? { type: "pid", path: "/proc/1/ns/pid" } : n)))],
    ["a hook", (s) => (s.hooks = { createRuntime: [{ path: "/bin/true" }] })],
    ["a bind of /proc/sys", (s) => s.mounts!.push({ destination: "/x", source: "/proc/sys", type: "bind", options: ["rbind"] })],
    ["a second proc", (s) => s.mounts!.push({ destination: "/x", source: "proc", type: "proc" })],
    // A unix socket there could carry one of its sockets to another container, which keeps it.
    ["a bound directory (a volume)", (s) => s.mounts!.push({ destination: "/data", source: os.tmpdir(), type: "bind", options: ["rbind"] })],
    ["a bind by its options", (s) => s.mounts!.push({ destination: "/data", source: os.tmpdir(), options: ["bind"] })],
  ];
  for (const [what, change] of refused) assert.equal(specLeavesNetnsClean(spec(change)), false, what);
});
