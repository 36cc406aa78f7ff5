// Issue 18: a soak, not in CI. `node dist/bench/soak.js [--ops 1000] [--minutes 30]
// [--kill-percent 10] [--concurrency 3] [--seed N]` (root). Operations mixing `run --rm`,
// `run -d` + `rm -f`, `exec` and `stop` through the command line, a few at a time, on the
// default bridge (with its pool of prepared namespaces) and on a network of the soak's own
// with DNS, with kill -9 of the command or of a container's shim at random moments. At the
// end: every container the engine lists is in the state it says, a killed `run --rm` left
// no container, and once all are removed (and `network prune` has released the pool and the
// soak's network) the host's mounts (under the soak's roots), its cgroups (under the soak's
// parent), the runtime's directories, the networks' bridges and veths, the firewall rules of
// their subnets and their aardvark-dns are as before, and no shim seen during the soak lives on.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { runSync } from "./exec.js";
import { prepareMydocker, type Mydocker } from "./mydocker.js";
import { alive, checkListed, compareHost, compareNetwork, hostState, masqueraded, networkState, runtimeProcesses, type SeenProcess } from "./soak-check.js";

/** The soak's own network, with DNS (aardvark-dns): a quarter of the runs use it. */
const NET = "soaknet";

/** A network's bridge and subnet, as the engine inspects it. */
function networkOf(md: Mydocker, name: string): { bridge: string; subnet: string } {
  const r = runSync(md.cli(["network", "inspect", "--format", '{{index .Options "com.docker.network.bridge.name"}} {{(index .IPAM.Config 0).Subnet}}', name]), md.env);
  const [bridge, subnet] = r.stdout.trim().split(" ");
  if (r.status !== 0 || !bridge || !subnet) throw new Error(`network inspect ${name}: ${r.stderr.trim() || r.stdout.trim()}`);
  return { bridge, subnet };
}

type Kind = "run --rm" | "run -d" | "rm -f" | "exec" | "stop" | "kill shim";

interface Tally {
  done: number;
  killed: number;
  failed: number;
}

/** A small seeded generator (mulberry32): a soak that found something can be run again the same way. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the command; with killAfterMs, kill -9 it then (if still running). Resolves with its exit or "killed". */
function command(md: Mydocker, args: string[], killAfterMs?: number): Promise<{ status: number | "killed"; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const [bin, ...rest] = md.cli(args);
    const child = spawn(bin, rest, { env: md.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    let killed = false;
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => (killed = child.kill("SIGKILL")), killAfterMs);
    // A command that hangs is a finding too: killed after a minute, counted as failed.
    const hang = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      clearTimeout(hang);
      resolve({ status: killed ? "killed" : (code ?? -1), stdout, stderr });
    });
  });
}

/**
 * Whether the bridges hold a veth for each running container listed on them and none for a
 * stopped one: the soak's network exactly that many, the default bridge that many plus its
 * pool's prepared namespaces; and that their subnets are masqueraded. Exit commands may
 * still be releasing: the veths are counted again for 20 s.
 */
async function vethsAsListed(md: Mydocker, rows: [string, string, string, string][], nets: { bridge: string; subnet: string }[]): Promise<string | undefined> {
  const up = (net: string) => rows.filter(([, , state, networks]) => (state === "running" || state === "paused") && networks.split(",").includes(net)).length;
  const count = (dir: string) => {
    try {
      return fs.readdirSync(dir).length;
    } catch {
      return 0;
    }
  };
  const [bridge, own] = nets.map((n) => `/sys/class/net/${n.bridge}/brif`) as [string, string];
  // A container listed running on a network reaches past the host: its subnet is masqueraded.
  const unmasqueraded = nets.filter((n, i) => up(i === 0 ? "bridge" : NET) > 0 && !masqueraded(n.subnet));
  if (unmasqueraded.length) return `no masquerade for ${unmasqueraded.map((n) => n.subnet).join(", ")}, whose containers are listed running`;
  const wrong = () => {
    const pool = count(path.join(md.runRoot, ".net-pool"));
    const onBridge = count(bridge) - up("bridge");
    if (count(own) !== up(NET)) return `${NET}: ${count(own)} veths on its bridge for ${up(NET)} containers listed running on it`;
    if (onBridge < 0 || onBridge > pool) return `bridge: ${count(bridge)} veths on the default bridge for ${up("bridge")} containers listed running on it and ${pool} pool entries`;
    return undefined;
  };
  const deadline = Date.now() + 20_000;
  while (wrong() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  return wrong();
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      ops: { type: "string", default: "1000" },
      minutes: { type: "string", default: "30" },
      "kill-percent": { type: "string", default: "10" },
      concurrency: { type: "string", default: "3" },
      seed: { type: "string", default: String(Date.now() % 1_000_000) },
    },
  });
  if (process.getuid?.() !== 0) {
    console.error("the soak needs root (namespaces, mounts, cgroups): run it with sudo");
    return 1;
  }
  const ops = Number(values.ops);
  const deadline = Date.now() + Number(values.minutes) * 60_000;
  const killP = Number(values["kill-percent"]) / 100;
  const concurrency = Number(values.concurrency);
  const seed = Number(values.seed);
  const rnd = random(seed);
  const md = prepareMydocker();
  const base = path.dirname(md.root);
  const cgroupParent = md.env["MYDOCKER_CGROUP_PARENT"]!;
  const onSignal = () => {
    md.cleanup();
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    // The busybox image is made once, before the host's state is taken.
    const first = runSync(md.cli(["run", "--rm", "busybox", "true"]), md.env);
    if (first.status !== 0) throw new Error(`the first run failed: ${first.stderr.trim()}`);
    // The host as the soak found it: the default bridge's pool released (network prune, as at the end).
    runSync(md.cli(["network", "prune", "-f"]), md.env);
    const before = hostState(base, cgroupParent, md.runRoot);
    const made = runSync(md.cli(["network", "create", NET]), md.env);
    if (made.status !== 0) throw new Error(`network create ${NET}: ${made.stderr.trim()}`);
    const nets = [networkOf(md, "bridge"), networkOf(md, NET)];
    const netState = () => networkState(nets.map((n) => n.bridge), nets.map((n) => n.subnet), base);
    const netBefore = netState();

    const running = new Set<string>();
    const stopped = new Set<string>();
    const unknown = new Set<string>();
    const killedRm = new Set<string>();
    const shims: SeenProcess[] = [];
    const tally = new Map<Kind, Tally>();
    const failures: string[] = [];
    const count = (k: Kind, what: keyof Tally) => {
      const t = tally.get(k) ?? { done: 0, killed: 0, failed: 0 };
      t[what]++;
      tally.set(k, t);
    };
    const take = (set: Set<string>) => {
      const all = [...set];
      const id = all[Math.floor(rnd() * all.length)];
      if (id !== undefined) set.delete(id);
      return id;
    };
    let serial = 0;
    const started = Date.now();

    const one = async (): Promise<void> => {
      const killAt = rnd() < killP ? Math.floor(rnd() * 400) : undefined;
      const r = rnd();
      const name = `soak-${++serial}`;
      let kind: Kind;
      let args: string[];
      let target: string | undefined;
      const network = rnd() < 0.25 ? ["--network", NET] : [];
      if (r < 0.3) {
        kind = "run --rm";
        args = ["run", "--rm", "--name", name, ...network, "busybox", "true"];
      } else if ((r < 0.55 && running.size < 20) || running.size + stopped.size === 0) {
        kind = "run -d";
        args = ["run", "-d", "--name", name, ...network, "busybox", "sleep", "3600"];
      } else if (r < 0.7) {
        kind = "rm -f";
        target = take(rnd() < 0.5 && stopped.size > 0 ? stopped : running.size > 0 ? running : stopped);
        args = ["rm", "-f", target ?? "none"];
      } else if (r < 0.85 && running.size > 0) {
        kind = "exec";
        target = take(running);
        args = ["exec", target!, "true"];
      } else if (r < 0.95 && running.size > 0) {
        kind = "stop";
        target = take(running);
        args = ["stop", "-t", "1", target!];
      } else if (running.size > 0) {
        kind = "kill shim";
        target = take(running)!;
        const { shim } = runtimeProcesses(md.runRoot, target);
        if (shim && alive(shim)) process.kill(shim.pid, "SIGKILL");
        count(kind, "done");
        // The monitor is gone: its container is exited, or its process runs on without it.
        unknown.add(target);
        return;
      } else {
        kind = "rm -f";
        target = take(stopped);
        args = ["rm", "-f", target ?? "none"];
      }
      if (target === undefined && kind !== "run --rm" && kind !== "run -d") return;
      const res = await command(md, args, killAt);
      if (res.status === "killed") {
        count(kind, "killed");
        if (kind === "run --rm") killedRm.add(name);
        else if (kind === "run -d") unknown.add(name);
        else if (kind === "exec") running.add(target!);
        else unknown.add(target!);
        return;
      }
      if (res.status !== 0) {
        count(kind, "failed");
        failures.push(`${args.join(" ")}: exit ${res.status}: ${res.stderr.trim().split("\n").pop()}`);
        if (target) unknown.add(target);
        return;
      }
      count(kind, "done");
      if (kind === "run -d") {
        const id = res.stdout.trim();
        running.add(id);
        const { shim } = runtimeProcesses(md.runRoot, id);
        if (shim) shims.push(shim);
      } else if (kind === "exec") running.add(target!);
      else if (kind === "stop") stopped.add(target!);
    };

    let issued = 0;
    const worker = async () => {
      while (issued < ops && Date.now() < deadline) {
        const mine = ++issued;
        await one();
        if (mine % 100 === 0) process.stderr.write(`  operation ${mine} done, ${Math.round((Date.now() - started) / 1000)} s\n`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (Date.now() - started) / 1000;

    // ps sweeps; what the engine lists must be what the kernel has.
    runSync(md.cli(["ps", "-a"]), md.env);
    const listed = runSync(md.cli(["ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}} {{.State}} {{.Networks}}"]), md.env);
    const problems: string[] = [];
    if (listed.status !== 0) problems.push(`ps -a failed: ${listed.stderr.trim()}`);
    const rows = listed.stdout.split("\n").filter(Boolean).map((l) => l.split(" ") as [string, string, string, string]);
    const wiring = await vethsAsListed(md, rows, nets);
    if (wiring) problems.push(wiring);
    for (const [id, name, state] of rows) {
      const wrong = checkListed(md.runRoot, id, state);
      if (wrong) problems.push(wrong);
      if (killedRm.has(name)) problems.push(`${name}: a killed run --rm left its container (${state})`);
    }
    const states = new Map<string, number>();
    for (const [, , state] of rows) states.set(state, (states.get(state) ?? 0) + 1);

    // Everything removed: the host as before, no shim left.
    const ids = rows.map(([id]) => id);
    for (let i = 0; i < ids.length; i += 50) {
      const rm = runSync(md.cli(["rm", "-f", ...ids.slice(i, i + 50)]), md.env);
      if (rm.status !== 0) problems.push(`rm -f: ${rm.stderr.trim()}`);
    }
    const left = runSync(md.cli(["ps", "-aq"]), md.env).stdout.trim();
    if (left) problems.push(`containers left after rm -f: ${left.split("\n").length}`);
    // The pool released and the soak's network removed, as a user's network prune does.
    const prune = runSync(md.cli(["network", "prune", "-f"]), md.env);
    if (prune.status !== 0) problems.push(`network prune: ${prune.stderr.trim()}`);
    problems.push(...compareHost(before, hostState(base, cgroupParent, md.runRoot)));
    problems.push(...compareNetwork(netBefore, netState()));
    for (const s of shims) if (alive(s)) problems.push(`shim ${s.pid} lives on`);

    console.log(`\n## soak: ${issued} operations in ${seconds.toFixed(0)} s, ${concurrency} at a time, kill -9 in ${values["kill-percent"]}% (seed ${seed})\n`);
    console.log("operation   done  killed  failed");
    for (const [k, t] of tally) console.log(`${k.padEnd(10)} ${String(t.done).padStart(5)} ${String(t.killed).padStart(7)} ${String(t.failed).padStart(7)}`);
    console.log(`\nlisted at the end: ${[...states].map(([s, n]) => `${n} ${s}`).join(", ") || "none"}; killed run --rm: ${killedRm.size}; shims seen: ${shims.length}`);
    for (const f of failures.slice(0, 10)) console.log(`failed: ${f}`);
    if (failures.length > 10) console.log(`... and ${failures.length - 10} more failures`);
    console.log(
      problems.length === 0
        ? "checks: all passed (listed states true; mounts, cgroups, runtime directories, bridges and veths, firewall rules, aardvark-dns as before; no shim left)"
        : `checks: ${problems.length} problems`,
    );
    for (const p of problems) console.log(`problem: ${p}`);
    return problems.length === 0 ? 0 : 1;
  } finally {
    md.cleanup();
  }
}

process.exitCode = await main();
