// What the soak compares: the host's state under its own roots and cgroup parent, before
// and after, and whether each container the engine lists is in the state it says.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/** A process seen during the soak: pid and /proc start time (a later process may reuse the pid). */
export interface SeenProcess {
  pid: number;
  startTime: string;
}

export interface HostState {
  mounts: string[];
  cgroups: string[];
  runDirs: string[];
}

function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] === "Z" || fields[0] === "X" ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

export function alive(p: SeenProcess): boolean {
  return startTime(p.pid) === p.startTime;
}

/** The host's mounts under base, the cgroups under parent in every hierarchy, the runtime's directories. */
export function hostState(base: string, cgroupParent: string, runRoot: string): HostState {
  const mounts = fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((mp): mp is string => mp !== undefined && (mp === base || mp.startsWith(`${base}/`)));
  const cgroups: string[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      cgroups.push(path.join(dir, e.name));
      walk(path.join(dir, e.name));
    }
  };
  for (const h of fs.readdirSync("/sys/fs/cgroup")) walk(path.join("/sys/fs/cgroup", h, cgroupParent));
  walk(path.join("/sys/fs/cgroup", cgroupParent));
  let runDirs: string[] = [];
  try {
    runDirs = fs.readdirSync(runRoot);
  } catch {
    runDirs = [];
  }
  return { mounts: mounts.sort(), cgroups: [...new Set(cgroups)].sort(), runDirs: runDirs.sort() };
}

/** Lines naming what differs between two host states (empty: the same). */
export function compareHost(before: HostState, after: HostState): string[] {
  const out: string[] = [];
  for (const key of ["mounts", "cgroups", "runDirs"] as const) {
    const was = new Set(before[key]);
    const is = new Set(after[key]);
    for (const x of is) if (!was.has(x)) out.push(`${key}: left behind ${x}`);
    for (const x of was) if (!is.has(x)) out.push(`${key}: gone ${x}`);
  }
  return out;
}

/** The shim and process a container's runtime state names, when it has one. */
export function runtimeProcesses(runRoot: string, id: string): { shim?: SeenProcess; init?: SeenProcess } {
  let st: { shimPid?: number; shimStartTime?: string; pid?: number; pidStartTime?: string };
  try {
    st = JSON.parse(fs.readFileSync(path.join(runRoot, id, "state.json"), "utf8")) as typeof st;
  } catch {
    return {};
  }
  return {
    shim: st.shimPid && st.shimStartTime ? { pid: st.shimPid, startTime: st.shimStartTime } : undefined,
    init: st.pid && st.pidStartTime ? { pid: st.pid, startTime: st.pidStartTime } : undefined,
  };
}

/**
 * Whether a listed container is what the engine says: a running or paused one has its
 * process alive; any other has neither a live process nor a live shim.
 */
export function checkListed(runRoot: string, id: string, state: string): string | undefined {
  const { shim, init } = runtimeProcesses(runRoot, id);
  const live = (p?: SeenProcess) => p !== undefined && alive(p);
  if (state === "running" || state === "paused") {
    return live(init) ? undefined : `${id.slice(0, 12)} is listed ${state}, but its process is gone`;
  }
  if (live(init) || live(shim)) return `${id.slice(0, 12)} is listed ${state}, but its ${live(init) ? "process" : "shim"} lives`;
  return undefined;
}

/** What the engine's networks leave on the host: links, firewall rules, DNS servers. */
export interface NetworkState {
  /** The networks' bridges that exist, and every interface enslaved to one (the host ends of veths). */
  links: string[];
  /** iptables rules, of every table, that name one of the networks' subnets. */
  rules: string[];
  /** aardvark-dns processes serving from under the soak's directory. */
  dns: string[];
}

export function networkState(bridges: string[], subnets: string[], base: string): NetworkState {
  const links: string[] = [];
  for (const bridge of bridges) {
    let ports: string[];
    try {
      ports = fs.readdirSync(`/sys/class/net/${bridge}/brif`);
    } catch {
      continue;
    }
    links.push(bridge, ...ports.map((p) => `${bridge}: ${p}`));
  }
  const saved = spawnSync("iptables-save", { encoding: "utf8" });
  const rules = (saved.stdout ?? "").split("\n").filter((l) => subnets.some((s) => l.includes(s)));
  if (saved.status !== 0) rules.push(`iptables-save failed: ${saved.stderr}`);
  const dns: string[] = [];
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    let args: string[];
    try {
      args = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (args[0]?.endsWith("aardvark-dns") && args.some((a) => a.startsWith(`${base}/`))) dns.push(`${pid} ${args.join(" ").trim()}`);
  }
  return { links: links.sort(), rules: rules.sort(), dns };
}

/** Lines naming what the networks left that was not there before. */
export function compareNetwork(before: NetworkState, after: NetworkState): string[] {
  const out: string[] = [];
  for (const key of ["links", "rules", "dns"] as const) {
    const was = new Set(before[key]);
    for (const x of after[key]) if (!was.has(x)) out.push(`network ${key}: left behind ${x}`);
  }
  return out;
}

/** Whether a subnet's traffic is masqueraded: POSTROUTING sends it to a chain that has a MASQUERADE rule. */
export function masqueraded(subnet: string): boolean {
  const nat = (spawnSync("iptables", ["-t", "nat", "-S"], { encoding: "utf8" }).stdout ?? "").split("\n");
  const chains = nat.filter((l) => l.startsWith(`-A POSTROUTING -s ${subnet} -j `)).map((l) => l.split(" ").pop()!);
  return chains.some((chain) => nat.some((l) => l.startsWith(`-A ${chain} `) && l.includes("-j MASQUERADE")));
}
