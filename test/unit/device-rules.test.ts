import assert from "node:assert/strict";
import test from "node:test";
import { cgroupResources } from "../../src/runtime/device-rules.js";
import { defaultDeviceRules, defaultSpec } from "../../src/runtime/defaults.js";

test("a spec that already allows the default devices gets no rule twice", () => {
  const spec = defaultSpec();
  const devices = cgroupResources(spec)?.devices ?? [];
  assert.deepEqual(devices, spec.linux?.resources?.devices);
  const keys = devices.map((r) => JSON.stringify(r));
  assert.equal(new Set(keys).size, keys.length);
});

test("the default devices are allowed again after a spec's later deny", () => {
  const spec = defaultSpec();
  spec.linux!.resources!.devices = [...defaultDeviceRules(), { allow: false, access: "rwm" }];
  const devices = cgroupResources(spec)?.devices ?? [];
  assert.deepEqual(devices.slice(-defaultDeviceRules().length), defaultDeviceRules());
  assert.deepEqual(devices.slice(0, -defaultDeviceRules().length), spec.linux!.resources!.devices);
});

test("a spec's own device nodes are allowed in the cgroup", () => {
  const spec = defaultSpec();
  spec.linux!.devices = [{ type: "c", path: "/dev/fuse", major: 10, minor: 229 }];
  const devices = cgroupResources(spec)?.devices ?? [];
  assert.deepEqual(devices.at(-1), { allow: true, type: "c", major: 10, minor: 229, access: "rwm" });
});

test("a spec without device rules is left as it is", () => {
  const spec = defaultSpec();
  delete spec.linux!.resources;
  assert.equal(cgroupResources(spec), undefined);
});

test("a spec's device with a rule of its own keeps that rule only (docker's --device ...:r)", () => {
  const spec = defaultSpec();
  spec.linux!.devices = [{ type: "b", path: "/dev/xda", major: 7, minor: 0 }];
  spec.linux!.resources!.devices = [...spec.linux!.resources!.devices!, { allow: true, type: "b", major: 7, minor: 0, access: "r" }];
  const devices = cgroupResources(spec)?.devices ?? [];
  assert.deepEqual(devices.filter((r) => r.major === 7), [{ allow: true, type: "b", major: 7, minor: 0, access: "r" }]);
});
