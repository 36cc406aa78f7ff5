// `node dist/bench/network.js [--runs N] [--mb N]`: networking through mydocker against
// podman with its default bridge (netavark both), the same busybox image, in one run:
//   1. `run --rm busybox true` on the default bridge network (median wall time, and the CPU
//      time of the command and the children it waited for, from wait4: neither podman's conmon
//      and cleanup nor mydocker's monitor are among them); the same with --network none;
//   2. from `run -d -p 127.0.0.1:PORT:80 … httpd` to the first HTTP reply on that port, and
//      of it, the time of the `netavark setup` each engine ran for it (a timing wrapper in
//      front of netavark for this case only: MYDOCKER_NETAVARK, podman's helper_binaries_dir):
//      podman's makes the port's NAT rules with the veth, exactly one per run; mydocker's
//      monitor forwards the port itself (docker-proxy's way), so a run that takes a namespace
//      from the pool runs none (0 ms), and only one that finds the pool empty runs one;
//   3. the throughput of a transfer out of a container through a published port, read on
//      127.0.0.1 by this process (podman: netavark's DNAT; mydocker: the monitor's splice).
// Traffic goes only to 127.0.0.1 and to the bench's own containers.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { makeBusyboxRootfs } from "../test/helpers/busybox-rootfs.js";
import { podmanStore } from "../test/helpers/podman-store.js";
import { inTurn, PairedTable } from "./report.js";
import { median, msSince } from "./stats.js";
import { timeOnce } from "./hyperfine.js";

const BIN = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../bin/mydocker");
const IMAGE = "localhost/bench-busybox:latest";

function run(command: string, args: string[], env?: NodeJS.ProcessEnv, input?: Buffer): string {
  const r = spawnSync(command, args, { env, input, stdio: [input ? "pipe" : "ignore", "pipe", "pipe"], encoding: "buffer", maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${r.stderr?.toString() ?? r.error?.message}`);
  return r.stdout.toString().trim();
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function httpOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/", timeout: 1000, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode === 200));
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
  });
}

/** Bytes read from 127.0.0.1:port until the sender closes, and the time it took (ms). */
function drain(port: number): Promise<{ bytes: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    let bytes = 0;
    const s = net.connect(port, "127.0.0.1");
    s.on("data", (d: Buffer) => (bytes += d.length));
    s.on("error", reject);
    s.on("close", () => resolve({ bytes, ms: msSince(start) }));
  });
}

interface Subject {
  name: string;
  cli: (args: string[]) => string;
  /** cli with netavark behind the timing wrapper: each setup's microseconds appended to netavarkTimes. */
  timedCli: (args: string[]) => string;
  netavarkTimes: string;
  /** The command line of args, as hyperfine runs it. */
  argv: (args: string[]) => string[];
  env?: NodeJS.ProcessEnv;
}

/** The time to the first reply, and of it the time of the netavark setups the engine ran (ms; none: 0) and how many. */
async function timeToFirstReply(s: Subject, www: string): Promise<{ reply: number; netavark: number; setups: number }> {
  const port = await freePort();
  const setupsBefore = setupTimes(s).length;
  const start = process.hrtime.bigint();
  const id = s.timedCli(["run", "-d", "-p", `127.0.0.1:${port}:80`, "-v", `${www}:/www:ro`, IMAGE, "httpd", "-f", "-p", "80", "-h", "/www"]);
  try {
    for (let i = 0; i < 4000 && !(await httpOnce(port)); i++) await sleep(5);
    const reply = msSince(start);
    const setups = setupTimes(s).slice(setupsBefore);
    // podman sets up the port with the veth; mydocker with a pooled namespace sets up nothing.
    const allowed = s.name === "podman" ? [1] : [0, 1];
    if (!allowed.includes(setups.length)) throw new Error(`${s.name}: ${setups.length} netavark setups for one run -d -p`);
    return { reply, netavark: setups.reduce((a, b) => a + b, 0) / 1000, setups: setups.length };
  } finally {
    s.cli(["rm", "-f", id]);
  }
}

function setupTimes(s: Subject): number[] {
  return fs.existsSync(s.netavarkTimes) ? fs.readFileSync(s.netavarkTimes, "utf8").split("\n").filter(Boolean).map(Number) : [];
}

const NETAVARK_DIR = "/usr/lib/podman";

/**
 * podman's containers.conf with netavark looked for in dir: CONTAINERS_CONF replaces the
 * files podman reads otherwise, so the distribution's settings are carried over (not an
 * /etc/containers override, which these machines do not have) and only helper_binaries_dir
 * is added to its [engine] table.
 */
function withHelperDir(dir: string): string {
  const setting = `helper_binaries_dir = ["${dir}"]`;
  const system = "/usr/share/containers/containers.conf";
  const text = fs.existsSync(system) ? fs.readFileSync(system, "utf8") : "";
  return /^\[engine\]$/m.test(text) ? text.replace(/^\[engine\]$/m, `[engine]\n${setting}`) : `${text}\n[engine]\n${setting}\n`;
}

/** A directory with a netavark that times each setup into times (and aardvark-dns beside it, as podman looks for it there). */
function timingNetavark(dir: string, times: string): string {
  fs.mkdirSync(dir);
  const script = [
    "#!/bin/sh",
    `case " $* " in *" setup "*) ;; *) exec ${NETAVARK_DIR}/netavark "$@" ;; esac`,
    "start=$(date +%s%N)",
    `${NETAVARK_DIR}/netavark "$@"`,
    "rc=$?",
    `echo $(( ($(date +%s%N) - start) / 1000 )) >> '${times}'`,
    "exit $rc",
    "",
  ].join("\n");
  fs.writeFileSync(path.join(dir, "netavark"), script, { mode: 0o755 });
  fs.symlinkSync(path.join(NETAVARK_DIR, "aardvark-dns"), path.join(dir, "aardvark-dns"));
  return dir;
}

async function throughput(s: Subject, bytes: number): Promise<number> {
  const port = await freePort();
  // -ll: a new `head` for every connection, so the readiness probe does not use the server up.
  const id = s.cli(["run", "-d", "-p", `127.0.0.1:${port}:80`, IMAGE, "nc", "-ll", "-p", "80", "-e", "head", "-c", String(bytes), "/dev/zero"]);
  try {
    for (let i = 0; i < 400; i++) {
      const probe = await drain(port).catch(() => ({ bytes: 0, ms: 0 }));
      if (probe.bytes > 0) break;
      await sleep(10);
    }
    const r = await drain(port);
    if (r.bytes !== bytes) throw new Error(`${s.name}: read ${r.bytes} of ${bytes} bytes`);
    return (bytes / 1e6) / (r.ms / 1000);
  } finally {
    s.cli(["rm", "-f", id]);
  }
}

export async function networkBench(runs = 15, mb = 1024): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-bench-net-"));
  const podmanArgs = [...podmanStore(path.join(base, "podman")), "--runtime", "runc"];
  const cgroupParent = path.basename(base);
  const env = { ...process.env, MYDOCKER_ROOT: path.join(base, "root"), MYDOCKER_RUNROOT: path.join(base, "run"), MYDOCKER_CGROUP_PARENT: cgroupParent };
  // This sandbox's hard limits are below podman's defaults: runc could not set them.
  const podmanArgv = (args: string[]) => ["podman", ...podmanArgs, ...(args[0] === "run" ? ["run", "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768", ...args.slice(1)] : args)];
  const times = { mydocker: path.join(base, "netavark-mydocker.times"), podman: path.join(base, "netavark-podman.times") };
  const mydockerNetavark = path.join(timingNetavark(path.join(base, "netavark-mydocker"), times.mydocker), "netavark");
  const podmanConf = path.join(timingNetavark(path.join(base, "netavark-podman"), times.podman), "containers.conf");
  fs.writeFileSync(podmanConf, withHelperDir(path.dirname(podmanConf)));
  const subjects: Subject[] = [
    {
      name: "mydocker",
      cli: (args) => run(BIN, args, env),
      timedCli: (args) => run(BIN, args, { ...env, MYDOCKER_NETAVARK: mydockerNetavark }),
      netavarkTimes: times.mydocker,
      argv: (args) => [BIN, ...args],
      env,
    },
    {
      name: "podman",
      cli: (args) => run(podmanArgv(args)[0]!, podmanArgv(args).slice(1)),
      timedCli: (args) => run(podmanArgv(args)[0]!, podmanArgv(args).slice(1), { ...process.env, CONTAINERS_CONF: podmanConf }),
      netavarkTimes: times.podman,
      argv: podmanArgv,
    },
  ];
  try {
    const rootfs = path.join(base, "rootfs");
    makeBusyboxRootfs(rootfs);
    const tar = spawnSync("tar", ["-C", rootfs, "-c", "."], { maxBuffer: 1 << 28 }).stdout;
    run("podman", [...podmanArgs, "import", "-", IMAGE], undefined, tar);
    run(BIN, ["import", "-", IMAGE], env, tar);
    const www = path.join(base, "www");
    fs.mkdirSync(www);
    fs.writeFileSync(path.join(www, "index.html"), "hello\n");
    const table = new PairedTable("mydocker", "podman");
    const ourSetups: number[] = [];
    for (const s of subjects) s.cli(["run", "--rm", IMAGE, "true"]); // warm-up: networks, bridges, caches
    for (let i = 0; i < runs; i++) {
      for (const s of inTurn(subjects, i)) {
        const bridge = timeOnce(s.argv(["run", "--rm", IMAGE, "true"]), s.env);
        table.add("run --rm busybox true (default bridge)", s.name, bridge.mean, { unit: "ms", ratio: 0.4 });
        table.add("  its CPU time (the command and the children it waited for)", s.name, bridge.cpuMs, { unit: "ms" });
        table.add("  for reference: run --rm --network none busybox true", s.name, timeOnce(s.argv(["run", "--rm", "--network", "none", IMAGE, "true"]), s.env).mean, { unit: "ms" });
        if (i < Math.ceil(runs / 3)) {
          const first = await timeToFirstReply(s, www);
          table.add("run -d -p to the first HTTP reply", s.name, first.reply, { unit: "ms", ratio: 0.5 });
          table.add("  of it, the engine's `netavark setup` (podman's with the port; 0: none)", s.name, first.netavark, { unit: "ms" });
          if (s.name === "mydocker") ourSetups.push(first.setups);
        }
      }
    }
    for (let i = 0; i < 3; i++) {
      for (const s of inTurn(subjects, i)) table.add(`${mb} MB out of a published port on 127.0.0.1`, s.name, await throughput(s, mb * 1024 * 1024), { unit: "MB/s", ratio: 0.9, higher: true });
    }
    process.stdout.write(`network: medians (run: ${runs} runs; first reply: ${Math.ceil(runs / 3)}; transfer: 3), both on their default bridge through netavark\n\n`);
    table.print();
    const nodeStart = median(Array.from({ length: 5 }, () => timeOnce([process.execPath, "-e", "0"]).mean));
    process.stdout.write(
      `\nmydocker's run -d -p: ${ourSetups.filter((n) => n === 0).length} of ${ourSetups.length} took a pooled namespace and ran no netavark; node's own start (node -e 0): ${nodeStart.toFixed(0)} ms; load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}.\n`,
    );
  } finally {
    spawnSync("podman", [...podmanArgs, "rm", "-af"], { stdio: "ignore" });
    spawnSync("podman", [...podmanArgs, "system", "reset", "-f"], { stdio: "ignore" });
    spawnSync(BIN, ["rm", "-f", ...(spawnSync(BIN, ["ps", "-aq"], { env, encoding: "utf8" }).stdout ?? "").split("\n").filter(Boolean)], { env, stdio: "ignore" });
    // The default bridge's pool and teardowns still in exit commands: released, waited for.
    spawnSync(BIN, ["network", "prune", "-f"], { env, stdio: "ignore" });
    for (const h of fs.readdirSync("/sys/fs/cgroup")) {
      const dir = path.join("/sys/fs/cgroup", h, cgroupParent);
      if (fs.existsSync(dir)) fs.rmdirSync(dir);
    }
    fs.rmSync(base, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "15" }, mb: { type: "string", default: "1024" } } });
  await networkBench(Number(values.runs), Number(values.mb));
}
