// The forwarding records a run's published ports compile to (the plan the monitor's
// forwarder runs): golden, and none without ports.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compile } from "../../src/runtime/compile.js";
import { defaultSpec } from "../../src/runtime/defaults.js";
import type { Plan } from "../../src/runtime/plan.js";

function planOf(publish?: Parameters<typeof compile>[1]["publish"]): Plan {
  const spec = defaultSpec();
  spec.process!.args = ["/bin/sh"];
  return compile(spec, { bundle: "/b", lastCap: 40, detach: true, publish });
}

const forwarding = (plan: Plan) => plan.filter((s) => s.op === "forwarding" || s.op === "publish");

test("a run with ports: one forwarding record with the compiled bounds, then a publish record per port, in order", () => {
  const plan = planOf([
    { protocol: "tcp", hostIp: "0.0.0.0", hostPort: 8080, containerIp: "10.88.0.2", containerPort: 80 },
    { protocol: "udp", hostIp: "127.0.0.1", hostPort: 5353, containerIp: "10.88.0.2", containerPort: 53 },
  ]);
  assert.deepEqual(forwarding(plan), [
    { op: "forwarding", maxConns: 16384, maxFlows: 16384, udpIdleMs: 90_000, flowSharePct: 50 },
    { op: "publish", protocol: "tcp", hostIp: "0.0.0.0", hostPort: 8080, containerIp: "10.88.0.2", containerPort: 80 },
    { op: "publish", protocol: "udp", hostIp: "127.0.0.1", hostPort: 5353, containerIp: "10.88.0.2", containerPort: 53 },
  ]);
  // Monitor records, all before the child's first record.
  const firstChild = plan.findIndex((s) => s.op === "unshare");
  assert.ok(plan.findIndex((s) => s.op === "forwarding") < firstChild);
});

test("a run without ports, or with an empty list: no forwarding or publish record", () => {
  assert.deepEqual(forwarding(planOf()), []);
  assert.deepEqual(forwarding(planOf([])), []);
});
