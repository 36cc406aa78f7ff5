// The plan contract from the shim's side, without root: `mydocker-shim --check-plan FILE`
// parses a plan as a run would and refuses a malformed one, naming the record.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compile, compileExec } from "../../src/runtime/compile.js";
import { defaultSpec } from "../../src/runtime/defaults.js";
import { encodePlan, type Plan, type PlanStep } from "../../src/runtime/plan.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const SHIM = path.join(REPO, "native/mydocker-shim");
const skip = fs.existsSync(SHIM) ? false : `${SHIM} is missing: build it with make -C native`;

let dir: string;
let n = 0;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-plan-check-"));
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs --check-plan on BYTES: the exit status and what the shim said. */
function check(bytes: Buffer): { status: number | null; stderr: string } {
  const file = path.join(dir, `plan-${++n}`);
  fs.writeFileSync(file, bytes);
  const r = spawnSync(SHIM, ["--check-plan", file], { encoding: "utf8", timeout: 10_000 });
  return { status: r.status, stderr: r.stderr };
}

/** Records the encoder cannot write (unknown names, wrong counts), field by field. */
function raw(...records: string[][]): Buffer {
  return Buffer.from(records.map((fields) => fields.map((f) => f + "\0").join("")).join(""));
}

const EXEC: PlanStep = { op: "exec", searchPath: "/bin", argv: ["true"] };
const minimal = (...middle: PlanStep[]): Plan => [{ op: "clone", flags: 0 }, ...middle, EXEC];

/** A step with one field replaced by text the encoder writes as it is. */
function withText<T extends PlanStep>(step: T, field: keyof T, text: string): PlanStep {
  return { ...step, [field]: { toString: () => text } } as unknown as PlanStep;
}

function refused(bytes: Buffer, message: string): void {
  const r = check(bytes);
  assert.equal(r.status, 125, `refused: ${message}`);
  assert.equal(r.stderr, `mydocker-shim: ${message}\n`);
}

test("the plans the compiler makes are accepted", { skip }, () => {
  const spec = defaultSpec();
  spec.process!.args = ["sh", "-c", "echo hi"];
  spec.process!.user = { uid: 1000, gid: 1000, additionalGids: [10, 4294967294] };
  const created = compile(spec, {
    bundle: "/b",
    lastCap: 40,
    detach: true,
    execFifo: "/run/x/exec.fifo",
    exitFile: "/run/x/exit",
    log: { path: "/var/log/x.log", maxBytes: 1 << 20 },
    attachSocket: "/run/x/attach.sock",
    openStdin: true,
    restart: { onFailureOnly: true, maxCount: 3, runsFile: "/run/x/runs" },
    forwardSignals: [1, 2, 15],
  });
  assert.deepEqual(check(encodePlan(created)), { status: 0, stderr: "" });
  const bindfrom: PlanStep = { op: "bindfrom", ns: "/proc/9/ns/mnt", source: "/dev/shm", recursive: false, root: "/r", path: "/dev/shm", mkdir: "dir" };
  assert.deepEqual(check(encodePlan(minimal(bindfrom))), { status: 0, stderr: "" });
  refused(encodePlan(minimal({ ...bindfrom, mkdir: "x" as "dir" })), "1 bindfrom: Invalid argument (errno 22): MKDIR must be dir, file or none");
  const exec = compileExec({ pid: 42, namespaces: ["pid", "mount", "network"] }, spec.process!, { lastCap: 40, sync: true });
  assert.deepEqual(check(encodePlan(exec)), { status: 0, stderr: "" });
});

test("an unknown record is refused by its name and index", { skip }, () => {
  refused(Buffer.concat([encodePlan(minimal()), raw(["frobnicate", "0"])]), "2 frobnicate: Invalid argument (errno 22): unknown record");
});

test("a wrong number of arguments is refused", { skip }, () => {
  refused(Buffer.concat([raw(["clone", "2", "0", "0"]), encodePlan([EXEC])]), "0 clone: Invalid argument (errno 22): wrong number of arguments");
  refused(Buffer.concat([raw(["clone", "1", "0"], ["hostname", "0"]), encodePlan([EXEC])]), "1 hostname: Invalid argument (errno 22): wrong number of arguments");
  refused(raw(["clone", "01", "0"]), "0 clone: Invalid argument (errno 22): the argument count is not a decimal number");
});

test("numbers are decimal only: octal, hex, signs, spaces and trailing garbage are refused", { skip }, () => {
  const rlimit = { op: "rlimit", resource: 7, soft: 1024n, hard: 1024n } as const;
  for (const text of ["010", "0x10", "-1", "+1", " 1", "12abc", "", "1e3"]) {
    refused(encodePlan(minimal(withText(rlimit, "soft", text))), `1 rlimit: Invalid argument (errno 22): argument 2 (${text}) is not a decimal number`);
  }
  refused(encodePlan([withText({ op: "clone", flags: 0 }, "flags", "0x20000"), EXEC]), "0 clone: Invalid argument (errno 22): argument 1 (0x20000) is not a decimal number");
  // Plain decimals, 0 and the largest 64-bit value among them, are taken.
  assert.equal(check(encodePlan(minimal({ ...rlimit, soft: 0n, hard: 18446744073709551615n }))).status, 0);
});

test("numbers out of range are refused, not wrapped", { skip }, () => {
  const rlimit = { op: "rlimit", resource: 7, soft: 1024n, hard: 18446744073709551616n } as const;
  refused(encodePlan(minimal(rlimit)), "1 rlimit: Numerical result out of range (errno 34): argument 3 (18446744073709551616) is out of range");
  // (uid_t)-1 would mean "keep the current uid" to setresuid: never a uid in a plan.
  const user: PlanStep = { op: "user", uid: 4294967295, gid: 0, additionalGids: [] };
  refused(encodePlan(minimal(user)), "1 user: Numerical result out of range (errno 34): argument 1 (4294967295) is out of range");
  const groups: PlanStep = { op: "user", uid: 0, gid: 0, additionalGids: [5, 4294967296] };
  refused(encodePlan(minimal(groups)), "1 user: Numerical result out of range (errno 34): argument 4 (4294967296) is out of range");
});

test("the monitor's policy numbers are checked: a log line of 0 bytes, no attach clients", { skip }, () => {
  const log: PlanStep = { op: "log", path: "/l", maxBytes: 0, maxFiles: 2, lineMax: 0 };
  refused(encodePlan(minimal(log)), "1 log: Numerical result out of range (errno 34): LINEMAX must be 1 to 2^30 bytes");
  const files: PlanStep = { op: "log", path: "/l", maxBytes: 1, maxFiles: 1001, lineMax: 1 };
  refused(encodePlan(minimal(files)), "1 log: Numerical result out of range (errno 34): MAXFILES must be 1 to 1000");
  const attach: PlanStep = { op: "attach", path: "/a", maxClients: 0, backlogBytes: 1, flushMs: 0 };
  refused(encodePlan(minimal(attach)), "1 attach: Numerical result out of range (errno 34): MAXCLIENTS must be 1 to 1024");
  const health: PlanStep = { op: "health", intervalMs: 0, timeoutMs: 1, startPeriodMs: 0, retries: 1, statusFile: "/s", pidFile: "/p", argv: ["/x"] };
  refused(encodePlan(minimal(health)), "1 health: Numerical result out of range (errno 34): INTERVALMS and TIMEOUTMS must be 1 to 2^31-1, STARTPERIODMS at most 2^31-1");
  refused(encodePlan(minimal({ ...health, intervalMs: 1, retries: 0 })), "1 health: Numerical result out of range (errno 34): RETRIES must be 1 to 2^31-1");
  assert.equal(check(encodePlan(minimal({ ...health, intervalMs: 1 }))).status, 0, "a check every millisecond is a valid plan");
  refused(encodePlan(minimal({ op: "preservefds", count: 1025 })), "1 preservefds: Numerical result out of range (errno 34): N must be at most 1024");
  // The check runs with nothing past stdio: fds the plan would preserve that the caller never passed.
  refused(encodePlan(minimal({ op: "preservefds", count: 2 })), "1 preservefds: Bad file descriptor (errno 9): a preserved fd the caller did not pass");
  const drain: PlanStep = { op: "drain", ms: 2 ** 31 };
  refused(encodePlan(minimal(drain)), "1 drain: Numerical result out of range (errno 34): MS is too large");
});

test("a plan without clone, or without exec, is refused", { skip }, () => {
  refused(encodePlan([{ op: "hostname", name: "x" }, EXEC]), "2 clone: Invalid argument (errno 22): the plan has no clone record");
  refused(encodePlan([{ op: "clone", flags: 0 }]), "1 exec: Invalid argument (errno 22): the plan has no exec record");
});

test("a truncated plan is refused, wherever it is cut", { skip }, () => {
  const whole = encodePlan(minimal({ op: "hostname", name: "box" }));
  assert.equal(check(whole).status, 0);
  // Cut inside the exec record (index 2): its name, its count, its arguments.
  const execAt = whole.indexOf("exec\0");
  for (let cut = execAt + 1; cut < whole.length; cut++) {
    const name = cut < execAt + "exec\0".length ? "?" : "exec";
    refused(whole.subarray(0, cut), `2 ${name}: Invalid argument (errno 22): truncated record`);
  }
});

test("handoff: plans that would need the monitor after it ends are refused; a create's handoff is accepted", { skip }, () => {
  const handoff: PlanStep = { op: "handoff" };
  refused(encodePlan(minimal(handoff, { op: "exitfile", path: "/x" })), "2 exitfile: Invalid argument (errno 22): not with handoff: the monitor is gone before the child ends");
  refused(encodePlan(minimal(handoff, { op: "tty" })), "-1 handoff: Invalid argument (errno 22): tty with handoff needs consolesocket: nobody would copy the pty");
  refused(encodePlan(minimal({ op: "consolesocket", path: "/s" })), "1 consolesocket: Invalid argument (errno 22): consolesocket needs tty");
  const spec = defaultSpec();
  spec.process!.terminal = true;
  const created = compile(spec, { bundle: "/b", lastCap: 40, execFifo: "/run/x/exec.fifo", pidFile: "/run/x/pid", handoff: { consoleSocket: "/run/x/console.sock" } });
  assert.ok(created.some((s) => s.op === "consolesocket"));
  assert.deepEqual(check(encodePlan(created)), { status: 0, stderr: "" });
});

test("an overlay record takes any number of lower layers, at least one", { skip }, () => {
  const lower = Array.from({ length: 128 }, (_, i) => `/var/lib/mydocker/image/layers/${String(i).padStart(64, "0")}`);
  const deep: PlanStep = { op: "overlay", target: "/c/root", upper: "/c/upper", work: "/c/work", lower };
  assert.deepEqual(check(encodePlan(minimal(deep))), { status: 0, stderr: "" });
  refused(Buffer.concat([raw(["clone", "1", "0"], ["overlay", "3", "/t", "/u", "/w"]), encodePlan([EXEC])]), "1 overlay: Invalid argument (errno 22): wrong number of arguments");
});
