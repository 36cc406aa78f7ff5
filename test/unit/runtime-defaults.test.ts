import { test } from "node:test";
import assert from "node:assert/strict";
import { CAPABILITIES, capabilityMask, capabilityName } from "../../src/runtime/capabilities.js";
import { DEFAULT_CAPABILITIES, defaultSpec } from "../../src/runtime/defaults.js";
import { RLIMITS } from "../../src/runtime/rlimits.js";
import { parseMountOptions } from "../../src/runtime/mount-options.js";

test("docker's default capabilities are CapEff 00000000a80425fb", () => {
  assert.equal(capabilityMask(DEFAULT_CAPABILITIES).toString(16).padStart(16, "0"), "00000000a80425fb");
});

test("capability and rlimit tables", () => {
  assert.equal(CAPABILITIES.get("CAP_SYS_ADMIN"), 21);
  assert.equal(CAPABILITIES.get("CAP_CHECKPOINT_RESTORE"), 40);
  assert.equal(capabilityName(13), "CAP_NET_RAW");
  assert.equal(RLIMITS.get("RLIMIT_NOFILE"), 7);
  assert.equal(RLIMITS.get("RLIMIT_RTTIME"), 15);
});

test("the default spec looks like docker's", () => {
  const spec = defaultSpec();
  assert.deepEqual(spec.process?.capabilities?.bounding, [...DEFAULT_CAPABILITIES]);
  assert.deepEqual(spec.mounts?.map((m) => m.destination), ["/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm"]);
  assert.ok(spec.linux?.maskedPaths?.includes("/sys/devices/virtual/powercap"));
  assert.ok(spec.linux?.readonlyPaths?.includes("/proc/sysrq-trigger"));
  assert.equal(spec.process?.rlimits, undefined, "the caller's rlimits are kept");
});

test("mount options become flags, propagation and data", () => {
  assert.deepEqual(parseMountOptions(["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]), {
    flags: 2 | 8,
    propagation: [],
    data: "newinstance,ptmxmode=0666,mode=0620,gid=5",
  });
  assert.deepEqual(parseMountOptions(["rbind", "ro", "rw", "rslave", "private"]), {
    flags: 4096 | 16384,
    propagation: [(1 << 19) | 16384, 1 << 18],
    data: "",
  });
});
