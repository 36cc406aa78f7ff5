// The shim's child is not dumpable until its execve (CVE-2019-5736): a process in the
// container cannot open its /proc/PID/exe (the host's shim binary) or /proc/PID/fd/*,
// even with the same uid and capabilities, while it waits on the exec FIFO.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";
import { framePlan, type ChildStep, type Plan } from "../../src/runtime/plan.js";
import * as L from "../../src/runtime/linux.js";
import { makeBusyboxRootfs } from "../helpers/busybox-rootfs.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const SHIM = path.join(REPO, "native/mydocker-shim");
const skip =
  process.getuid?.() !== 0
    ? "needs root: the shim makes namespaces and mounts"
    : !fs.existsSync(SHIM)
      ? `${SHIM} is missing: build it with make -C native`
      : false;

const NAMESPACES = L.CLONE_NEWNS | L.CLONE_NEWUTS | L.CLONE_NEWIPC | L.CLONE_NEWPID | L.CLONE_NEWNET;
const PATH = "/bin";
/** docker's default capabilities: no CAP_SYS_PTRACE, the same for every process here. */
const CAPS = 0xa80425fbn;
const LAST_CAP = Number(fs.readFileSync("/proc/sys/kernel/cap_last_cap", "utf8"));
const credentials = (uid = 0): ChildStep[] => [
  { op: "bounding", mask: CAPS, lastCap: LAST_CAP },
  { op: "user", uid, gid: uid, additionalGids: [] },
  { op: "caps", effective: CAPS, permitted: CAPS, inheritable: 0n, ambient: 0n },
];
const PROBE = [
  'cat /proc/$1/exe >/dev/null 2>&1 && echo exe:open || echo exe:denied',
  'readlink /proc/$1/fd/0 >/dev/null 2>&1 && echo fd:open || echo fd:denied',
].join("; ");

let base: string;
let rootfs: string;
const started: Running[] = [];

before(() => {
  if (skip) return;
  base = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-dumpable-test-"));
  rootfs = path.join(base, "rootfs");
  makeBusyboxRootfs(rootfs);
});

after(async () => {
  if (skip) return;
  for (const r of started) r.kill();
  await Promise.all(started.map((r) => r.done));
  fs.rmSync(base, { recursive: true, force: true });
});

interface Running {
  /** The container's host pid, from `pid N`. */
  pid: Promise<number>;
  /** Resolves at the first control line equal to LINE (rejects if the shim ends first). */
  line(line: string): Promise<void>;
  stdout(): string;
  kill(): void;
  done: Promise<void>;
}

function start(plan: Plan): Running {
  const child = spawn(SHIM, [], { stdio: ["ignore", "pipe", "pipe", "pipe"] });
  const control = child.stdio[3] as Duplex;
  const lines: string[] = [];
  let out = "";
  let err = "";
  let wake: () => void = () => {};
  let ended = false;
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  let pending = "";
  control.on("data", (d: Buffer) => {
    pending += d.toString();
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      lines.push(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
    wake();
  });
  control.on("error", () => {});
  const done = new Promise<void>((resolve) =>
    child.on("close", () => {
      ended = true;
      wake();
      resolve();
    }),
  );
  const until = async (match: (l: string) => boolean): Promise<string> => {
    for (;;) {
      const found = lines.find(match);
      if (found !== undefined) return found;
      if (ended) throw new Error(`the shim ended first: ${lines.join(" | ")} ${err}`);
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  control.write(framePlan(plan));
  const r: Running = {
    pid: until((l) => l.startsWith("pid ")).then((l) => Number(l.slice(4))),
    line: async (line) => void (await until((l) => l === line)),
    stdout: () => out,
    kill: () => child.kill("SIGKILL"),
    done,
  };
  started.push(r);
  return r;
}

/** A container whose process waits on the exec FIFO (OCI create) with its final credentials. */
function created(fifo: string, argv: string[], uid = 0): Plan {
  const mount = (source: string, dest: string, fstype: string, flags: number): ChildStep => ({ op: "mount", source, root: rootfs, path: dest, fstype, flags, data: "", mkdir: "dir" });
  return [
    { op: "clone", flags: NAMESPACES },
    { op: "execfifo", path: fifo },
    { op: "mount", source: "", root: "", path: "/", fstype: "", flags: L.MS_REC | L.MS_PRIVATE, data: "", mkdir: "none" },
    { op: "mount", source: rootfs, root: "", path: rootfs, fstype: "", flags: L.MS_BIND | L.MS_REC, data: "", mkdir: "none" },
    mount("proc", "/proc", "proc", L.MS_NOSUID | L.MS_NOEXEC | L.MS_NODEV),
    mount("tmpfs", "/dev", "tmpfs", L.MS_NOSUID),
    { op: "mknod", root: rootfs, path: "/dev/null", mode: L.S_IFCHR | 0o666, major: 1, minor: 3, uid: 0, gid: 0 },
    { op: "pivot_root", root: rootfs },
    ...credentials(uid),
    { op: "env", entry: `PATH=${PATH}` },
    { op: "exec", searchPath: PATH, argv },
  ];
}

/** A process started in the container of host pid TARGET (as exec does), waiting on FIFO if given. */
function execIn(target: number, argv: string[], fifo?: string): Plan {
  const ns = (type: number, file: string): ChildStep => ({ op: "setns", nstype: type, path: `/proc/${target}/ns/${file}` });
  return [
    { op: "clone", flags: 0 },
    { op: "pidns", path: `/proc/${target}/ns/pid` },
    ...(fifo ? [{ op: "execfifo", path: fifo } as const] : []),
    ns(L.CLONE_NEWIPC, "ipc"),
    ns(L.CLONE_NEWUTS, "uts"),
    ns(L.CLONE_NEWNET, "net"),
    ns(L.CLONE_NEWNS, "mnt"),
    ...credentials(),
    { op: "chdir", dir: "/" },
    { op: "env", entry: `PATH=${PATH}` },
    { op: "exec", searchPath: PATH, argv },
  ];
}

function mkfifo(name: string): string {
  const fifo = path.join(base, name);
  assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
  return fifo;
}

/** OCI start: opening the FIFO for reading lets the waiting process exec (it writes a byte first). */
async function release(fifo: string, r: Running): Promise<void> {
  const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    await r.line("exec");
  } finally {
    fs.closeSync(fd);
  }
}

/** What a process in the container sees of /proc/PID (PID in the container's namespace). */
async function probe(target: number, pidInside: number): Promise<string> {
  const p = start(execIn(target, ["sh", "-c", PROBE, "probe", String(pidInside)]));
  await p.done;
  return p.stdout();
}

/** PID's number in its own (innermost) PID namespace. */
function innerPid(pid: number): number {
  const nspid = /^NSpid:\s+(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(nspid?.trim().split(/\s+/).at(-1));
}

test("a created container's init cannot be opened through /proc by the container, until it runs its program", { skip, timeout: 60_000 }, async () => {
  const fifo = mkfifo("init.fifo");
  const init = start(created(fifo, ["sleep", "1000"]));
  const pid = await init.pid;
  await init.line("ready");
  assert.equal(await probe(pid, 1), "exe:denied\nfd:denied\n", "the waiting init is the host's shim binary: out of reach");
  await release(fifo, init);
  // Once it runs the container's own program it is an ordinary process of the container.
  assert.equal(await probe(pid, 1), "exe:open\nfd:open\n");
});

test("an exec's process waiting before execve cannot be opened through /proc by the container", { skip, timeout: 60_000 }, async () => {
  const fifo = mkfifo("exec.fifo");
  const initFifo = mkfifo("init2.fifo");
  const init = start(created(initFifo, ["sleep", "1000"]));
  const pid = await init.pid;
  await init.line("ready");
  await release(initFifo, init);
  const exec = start(execIn(pid, ["sleep", "1000"], fifo));
  const execPid = await exec.pid;
  await exec.line("ready");
  const inside = innerPid(execPid);
  assert.ok(inside > 1, `the exec's process is in the container's PID namespace (${inside})`);
  assert.equal(await probe(pid, inside), "exe:denied\nfd:denied\n");
  await release(fifo, exec);
  assert.equal(await probe(pid, inside), "exe:open\nfd:open\n");
});

test("a non-root process, not dumpable, still opens its own exec FIFO through /proc/self/fd", { skip, timeout: 60_000 }, async () => {
  const fifo = mkfifo("user.fifo");
  const init = start(created(fifo, ["id", "-u"], 1000));
  await init.line("ready");
  await release(fifo, init);
  await init.done;
  assert.equal(init.stdout(), "1000\n");
});
