// Issue 5: the memory of the process that stays behind as a detached container's parent:
// mydocker's shim beside podman's conmon, both watching `sleep` in busybox.
import fs from "node:fs";
import type { BenchContext } from "./context.js";
import { mustRun, runSync } from "./exec.js";
import { withTimeout } from "./mydocker.js";
import { PODMAN_IMAGE } from "./peers.js";
import { attempt, printTable, printTarget, toRow, type Row } from "./report.js";
import { summarize } from "./stats.js";

/** Monitors measured per subject, one at a time so no two share pages with each other. */
const SAMPLES = 3;

interface Memory {
  rssKb: number;
  pssKb: number;
  comm: string;
}

/** Starts a detached `sleep SECONDS`, returns the container id. */
type StartSleep = (seconds: string) => Promise<string>;

export async function monitor(ctx: BenchContext): Promise<void> {
  const { peers, mydocker } = ctx;
  const comms: string[] = [];
  const subjects: [string, () => Promise<Memory[]>][] = [
    [
      "podman conmon",
      () => {
        if (peers.podmanMissing) throw new Error(peers.podmanMissing);
        const start: StartSleep = async (seconds) =>
          mustRun(peers.podmanRun(["-d", PODMAN_IMAGE, "sleep", seconds])).trim().split("\n").pop() ?? "";
        const remove = (id: string) => void runSync(["podman", "rm", "--force", "--time", "0", id]);
        return sampleMonitors(ctx, start, remove);
      },
    ],
    [
      "mydocker shim",
      async () => {
        const engine = await mydocker.engine();
        const runDetached = engine.runDetached?.bind(engine);
        if (!runDetached) throw new Error("Engine has no runDetached");
        const start: StartSleep = (seconds) => withTimeout(runDetached({ image: "busybox", cmd: ["sleep", seconds] }));
        const remove = (id: string) => void runSync(mydocker.cli(["rm", "-f", id]), mydocker.env);
        return sampleMonitors(ctx, start, remove);
      },
    ],
  ];
  const rss: Row[] = [];
  const pss: Row[] = [];
  for (const [subject, run] of subjects) {
    // Both tables come from the same containers.
    const got = await attempt(subject, run);
    rss.push(toRow(subject, got.ok ? { ok: true, value: summarize(got.value.map((m) => m.rssKb)) } : got));
    pss.push(toRow(subject, got.ok ? { ok: true, value: summarize(got.value.map((m) => m.pssKb)) } : got));
    if (got.ok) comms.push(`${subject}: the parent process is "${got.value[0].comm}"`);
  }
  printTable("monitor: PSS of a detached container's parent process", "kB", pss, ["podman conmon"]);
  printTable("monitor: RSS of a detached container's parent process", "kB", rss, ["podman conmon"]);
  for (const line of comms) console.log(line);
  printTarget(pss, "mydocker shim", "podman conmon", 1.0, "PSS");
  printTarget(rss, "mydocker shim", "podman conmon", 1.0, "RSS");
}

async function sampleMonitors(ctx: BenchContext, start: StartSleep, remove: (id: string) => void): Promise<Memory[]> {
  const out: Memory[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    // A sleep length nobody else uses identifies our container's process among all others.
    const seconds = String(800_000 + ((process.pid * 10 + i) % 100_000));
    const id = await start(seconds);
    const done = ctx.onCleanup(() => remove(id));
    try {
      const pid = await waitForProcess(["sleep", seconds]);
      // Let the monitor finish its setup (log pipes, buffers) before reading its memory.
      await new Promise((r) => setTimeout(r, 500));
      out.push(memoryOf(parentOf(pid)));
    } finally {
      remove(id);
      done();
    }
  }
  return out;
}

async function waitForProcess(argv: string[], timeoutMs = 10_000): Promise<number> {
  const want = argv.join("\0");
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const cmdline = readOrEmpty(`/proc/${entry}/cmdline`).replace(/\0$/, "");
      if (cmdline === want) return Number(entry);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no process "${argv.join(" ")}" appeared within ${timeoutMs} ms`);
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function parentOf(pid: number): number {
  // The comm field may hold spaces and parentheses: the fields after it start after the last ')'.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

function memoryOf(pid: number): Memory {
  const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(rollup);
    if (!m) throw new Error(`no ${name} in /proc/${pid}/smaps_rollup`);
    return Number(m[1]);
  };
  return { rssKb: field("Rss"), pssKb: field("Pss"), comm: fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim() };
}
