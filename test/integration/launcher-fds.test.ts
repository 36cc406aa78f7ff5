// A launcher out of file descriptors (one per running shim's connection) must wait, not
// spin on its listening socket; the caller gives up on it at the deadline.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { defaultShimPath } from "../../src/runtime/shim-binary.js";
import { Launcher } from "../../src/runtime/launcher.js";
import { Shim } from "../../src/runtime/shim.js";
import type { Plan } from "../../src/runtime/plan.js";

const SHIM = defaultShimPath();
const skip = fs.existsSync(SHIM) ? false : `${SHIM} is missing: build it with make -C native`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-launcher-fds-"));
const shims: Shim[] = [];

after(async () => {
  for (const s of shims) s.abort();
  await Promise.all(shims.map((s) => s.exited));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** User and system CPU time of PID, in clock ticks. */
function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

function launcherPid(): number {
  const mine = fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  for (const d of mine) {
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && fs.readFileSync(`/proc/${d}/cmdline`, "utf8").includes("--serve")) return Number(d);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error("no launcher among this process's children");
}

test("a launcher out of fds waits for a shim to end instead of spinning, and the caller gives up on it", { skip, timeout: 60_000 }, async () => {
  // The launcher with few fds: 0-2, its tie, its signalfd and socket, then one per shim.
  const wrapper = path.join(dir, "few-fds-launcher");
  fs.writeFileSync(wrapper, `#!/bin/sh\nulimit -n 10\nexec ${SHIM} "$@"\n`, { mode: 0o755 });
  const launcher = await Launcher.start(wrapper);
  const pid = launcherPid();
  const sleeper: Plan = [{ op: "clone", flags: 0 }, { op: "exec", searchPath: "/usr/bin:/bin", argv: ["sleep", "60"] }];
  let stuck: Promise<unknown> | undefined;
  for (let i = 0; i < 10 && stuck === undefined; i++) {
    const starting = Shim.start({ shimPath: SHIM, stdio: "ignore", launcher, launchDeadlineMs: 4000 });
    const started = await Promise.race([starting, sleep(500).then(() => undefined)]);
    if (started === undefined) {
      stuck = starting.then(
        () => assert.fail("a shim started after all"),
        (e: unknown) => e,
      );
      break;
    }
    shims.push(started);
    started.sendPlan(sleeper);
    await started.until("exec");
  }
  assert.ok(stuck, "the launcher ran out of fds");
  assert.ok(shims.length >= 2, `${shims.length} shims ran before the launcher was out of fds`);
  // While it waits for an fd the launcher is idle; the old one spun on accept4 (EMFILE).
  const before = cpuTicks(pid);
  await sleep(1000);
  const spent = cpuTicks(pid) - before;
  assert.ok(spent < 20, `the launcher used ${spent} ticks of CPU in a second while out of fds`);
  assert.match(String(await stuck), /the shim launcher did not start a shim within 4 s/);
  assert.equal(launcher.alive, false);
});
