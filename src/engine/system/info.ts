// docker info (the Engine API's /info): what the engine holds and the host it runs on.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ContainerRecord } from "../container-store.js";
import type { EngineRoots } from "../paths.js";
import { API_VERSION, packageVersion } from "./version.js";

/** The fields of the Engine API's system.Info that describe this engine. */
export interface SystemInfo {
  ID: string;
  Containers: number;
  ContainersRunning: number;
  ContainersPaused: number;
  ContainersStopped: number;
  Images: number;
  Driver: string;
  DriverStatus: [string, string][];
  Plugins: { Volume: string[]; Network: string[]; Authorization: string[] | null; Log: string[] };
  MemoryLimit: boolean;
  SwapLimit: boolean;
  CpuCfsPeriod: boolean;
  CpuCfsQuota: boolean;
  CPUShares: boolean;
  CPUSet: boolean;
  PidsLimit: boolean;
  OomKillDisable: boolean;
  IPv4Forwarding: boolean;
  Debug: boolean;
  SystemTime: string;
  LoggingDriver: string;
  CgroupDriver: string;
  CgroupVersion: string;
  KernelVersion: string;
  OperatingSystem: string;
  OSVersion: string;
  OSType: string;
  Architecture: string;
  NCPU: number;
  MemTotal: number;
  DockerRootDir: string;
  Name: string;
  Labels: string[];
  ExperimentalBuild: boolean;
  ServerVersion: string;
  ApiVersion: string;
  Runtimes: Record<string, { path: string }>;
  DefaultRuntime: string;
  LiveRestoreEnabled: boolean;
  Isolation: string;
  InitBinary: string;
  SecurityOptions: string[];
  Warnings: string[];
}

export interface InfoInput {
  roots: EngineRoots;
  containers: ContainerRecord[];
  images: number;
  cgroupVersion: 1 | 2;
  runtimePath: string;
  debug: boolean;
}

/** /etc/os-release's PRETTY_NAME and VERSION_ID, as docker reads them. */
function osRelease(): { name: string; version: string } {
  let text = "";
  try {
    text = fs.readFileSync("/etc/os-release", "utf8");
  } catch {
    return { name: "<unknown>", version: "" };
  }
  const field = (k: string) => new RegExp(`^${k}=(.*)$`, "m").exec(text)?.[1]?.replace(/^"|"$/g, "") ?? "";
  return { name: field("PRETTY_NAME") || "Linux", version: field("VERSION_ID") };
}

/** The engine's own id, made on first use and kept under its root (docker's engine-id). */
function engineId(root: string): string {
  const file = path.join(root, "engine-id");
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    const id = randomUUID();
    // wx: another command making it at the same moment keeps its own; the next read agrees.
    try {
      fs.writeFileSync(file, id + "\n", { flag: "wx", mode: 0o600 });
    } catch {
      return fs.readFileSync(file, "utf8").trim();
    }
    return id;
  }
}

function ipv4Forwarding(): boolean {
  try {
    return fs.readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim() === "1";
  } catch {
    return false;
  }
}

function backingFs(dir: string): string {
  try {
    const t = fs.statfsSync(dir).type;
    return ({ 0xef53: "extfs", 0x9123683e: "btrfs", 0x58465342: "xfs", 0x01021994: "tmpfs", 0x794c7630: "overlayfs" } as Record<number, string>)[t] ?? `0x${t.toString(16)}`;
  } catch {
    return "<unknown>";
  }
}

export function systemInfo(i: InfoInput): SystemInfo {
  const count = (...s: string[]) => i.containers.filter((c) => s.includes(c.state.status)).length;
  const running = count("running", "restarting");
  const paused = count("paused");
  const release = osRelease();
  const warnings: string[] = [];
  if (!ipv4Forwarding()) warnings.push("WARNING: IPv4 forwarding is disabled");
  return {
    ID: engineId(i.roots.root),
    Containers: i.containers.length,
    ContainersRunning: running,
    ContainersPaused: paused,
    ContainersStopped: i.containers.length - running - paused,
    Images: i.images,
    Driver: "overlay2",
    DriverStatus: [
      ["Backing Filesystem", backingFs(i.roots.root)],
      ["Supports d_type", "true"],
      ["Using metacopy", "false"],
      ["Native Overlay Diff", "true"],
      ["userxattr", "false"],
    ],
    Plugins: { Volume: ["local"], Network: ["host", "none"], Authorization: null, Log: ["local"] },
    MemoryLimit: true,
    SwapLimit: true,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    OomKillDisable: i.cgroupVersion === 1,
    IPv4Forwarding: ipv4Forwarding(),
    Debug: i.debug,
    SystemTime: new Date().toISOString(),
    LoggingDriver: "local",
    CgroupDriver: "cgroupfs",
    CgroupVersion: String(i.cgroupVersion),
    KernelVersion: os.release(),
    OperatingSystem: release.name,
    OSVersion: release.version,
    OSType: "linux",
    Architecture: os.machine(),
    NCPU: os.cpus().length,
    MemTotal: os.totalmem(),
    DockerRootDir: i.roots.root,
    Name: os.hostname(),
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: packageVersion(),
    ApiVersion: API_VERSION,
    Runtimes: { mydocker: { path: i.runtimePath } },
    DefaultRuntime: "mydocker",
    LiveRestoreEnabled: true,
    Isolation: "",
    InitBinary: "",
    SecurityOptions: ["name=seccomp,profile=builtin", "name=cgroupns"],
    Warnings: warnings,
  };
}
