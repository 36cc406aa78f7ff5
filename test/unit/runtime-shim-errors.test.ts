import { test } from "node:test";
import assert from "node:assert/strict";
import { parseStepFailure, PortInUseError, stepFailureError } from "../../src/runtime/shim-errors.js";
import type { Plan } from "../../src/runtime/plan.js";
import { signalNumber } from "../../src/runtime/signals.js";
import { nanosToRfc3339 } from "../../src/runtime/state.js";

const plan: Plan = [
  { op: "clone", flags: 0 },
  { op: "mount", source: "proc", root: "/r", path: "/proc", fstype: "proc", flags: 0, data: "", mkdir: "dir" },
  { op: "chdir", dir: "/nope" },
  { op: "exec", searchPath: "/bin", argv: ["cmd", "arg"] },
  { op: "exec", searchPath: "/bin", argv: ["/bin/cmd"] },
  { op: "mount", source: "overlay", root: "", path: "/c/1", fstype: "overlay", flags: 0, data: "lowerdir=/l/a:/l/b,upperdir=/c/1/upper,workdir=/c/1/work", mkdir: "none" },
  { op: "overlay", target: "/c/1", upper: "/c/1/upper", work: "/c/1/work", lower: ["/l/a"] },
  { op: "publish", protocol: "udp", hostIp: "0.0.0.0", hostPort: 5353, containerIp: "10.88.0.2", containerPort: 53 },
];

function mapped(line: string): { status: number; message: string } {
  const f = parseStepFailure(line);
  assert.ok(f, `parses ${line}`);
  const e = stepFailureError(plan, f);
  return { status: e.exitStatus, message: e.message };
}

test("a shim error line becomes docker's exit status and text", () => {
  assert.deepEqual(mapped("3 exec 2 cmd: not found in /bin"), { status: 127, message: 'exec: "cmd": executable file not found in $PATH' });
  assert.deepEqual(mapped("4 exec 2 /bin/cmd"), { status: 127, message: 'exec: "/bin/cmd": stat /bin/cmd: no such file or directory' });
  assert.deepEqual(mapped("3 exec 13 /bin/cmd"), { status: 126, message: 'exec: "cmd": permission denied' });
  assert.deepEqual(mapped("3 exec 8 /bin/cmd"), { status: 126, message: 'exec: "cmd": exec format error' });
  assert.deepEqual(mapped("2 chdir 2 /nope"), { status: 125, message: 'chdir to cwd ("/nope") set in config.json failed: no such file or directory' });
  assert.deepEqual(mapped("4 exec 20 /bin/cmd"), { status: 126, message: 'exec: "/bin/cmd": not a directory' });
  assert.deepEqual(mapped("1 mount 1 /r/proc"), { status: 125, message: "error mounting proc on /proc in the container: operation not permitted" });
  assert.deepEqual(mapped("0 sync 5 lost"), { status: 125, message: "container setup failed (sync): i/o error (EIO): lost" });
  assert.equal(parseStepFailure("garbage"), undefined);
});

test("an overlay that cannot be mounted is told by its directories and the call that failed", () => {
  assert.deepEqual(mapped("5 mount 2 overlay on /c/1 (overlay)"), {
    status: 125,
    message: "error mounting an overlay (upperdir /c/1/upper, workdir /c/1/work, 2 lower layers) on /c/1: no such file or directory",
  });
  assert.deepEqual(mapped("6 overlay 2 fsconfig workdir /c/1/work"), {
    status: 125,
    message: "error mounting the container's root filesystem (an overlay of 1 layers) on /c/1: no such file or directory (fsconfig workdir /c/1/work)",
  });
});

test("a published port that is taken is docker's bind error, with the port for the engine to name its holder", () => {
  const e = stepFailureError(plan, parseStepFailure("7 publish 98 bind 0.0.0.0:5353/udp")!);
  assert.ok(e instanceof PortInUseError);
  assert.deepEqual([e.message, e.exitStatus, e.protocol, e.hostIp, e.hostPort], ["Bind for 0.0.0.0:5353 failed: port is already allocated", 125, "udp", "0.0.0.0", 5353]);
  assert.deepEqual(mapped("7 publish 13 bind 0.0.0.0:5353/udp"), { status: 125, message: "error publishing 0.0.0.0:5353/udp: permission denied" });
});

test("signals by name or number", () => {
  assert.equal(signalNumber("TERM"), 15);
  assert.equal(signalNumber("SIGKILL"), 9);
  assert.equal(signalNumber("hup"), 1);
  assert.equal(signalNumber("10"), 10);
  assert.equal(signalNumber(2), 2);
  assert.throws(() => signalNumber("NOPE"), /invalid signal: NOPE/);
  assert.throws(() => signalNumber(0), /invalid signal: 0/);
});

test("exit times keep their nanoseconds", () => {
  assert.equal(nanosToRfc3339(1700000000123456789n), "2023-11-14T22:13:20.123456789Z");
});
