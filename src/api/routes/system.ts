// /_ping, /version, /info: what clients ask first, to negotiate the API version and learn
// what kind of engine they talk to.
import os from "node:os";
import fs from "node:fs";
import { sendJson } from "../http.js";
import type { RequestContext, Router } from "../router.js";
import { API_VERSION, MIN_API_VERSION } from "../version.js";

const ENGINE_VERSION = "0.1.0";

function ping({ res, req }: RequestContext): Promise<void> {
  res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-cache, no-store, must-revalidate", Pragma: "no-cache", "Builder-Version": "1" });
  res.end(req.method === "HEAD" ? undefined : "OK");
  return Promise.resolve();
}

const arch = () => (process.arch === "x64" ? "amd64" : process.arch);

async function version({ res }: RequestContext): Promise<void> {
  sendJson(res, 200, {
    Platform: { Name: "mydocker" },
    Components: [{ Name: "Engine", Version: ENGINE_VERSION, Details: { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: "linux", Arch: arch() } }],
    Version: ENGINE_VERSION,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: "",
    GoVersion: `node ${process.version}`,
    Os: "linux",
    Arch: arch(),
    KernelVersion: os.release(),
    BuildTime: "",
  });
}

function osName(): string {
  const text = fs.readFileSync("/etc/os-release", { encoding: "utf8", flag: "r" });
  return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1] ?? "Linux";
}

async function info({ engine, res }: RequestContext): Promise<void> {
  const all = await engine.list(true);
  const count = (s: string) => all.filter((c) => c.state.status === s).length;
  const v2 = fs.existsSync("/sys/fs/cgroup/cgroup.controllers");
  sendJson(res, 200, {
    ID: "",
    Containers: all.length,
    ContainersRunning: count("running"),
    ContainersPaused: count("paused"),
    ContainersStopped: all.length - count("running") - count("paused"),
    Images: engine.images.list().length,
    Driver: "overlay2",
    DriverStatus: [],
    DockerRootDir: engine.roots.root,
    MemoryLimit: true,
    SwapLimit: true,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    PidsLimit: true,
    OomKillDisable: false,
    KernelVersion: os.release(),
    OperatingSystem: osName(),
    OSType: "linux",
    Architecture: os.machine(),
    NCPU: os.cpus().length,
    MemTotal: os.totalmem(),
    Name: os.hostname(),
    ServerVersion: ENGINE_VERSION,
    CgroupDriver: "cgroupfs",
    CgroupVersion: v2 ? "2" : "1",
    LoggingDriver: "json-file",
    DefaultRuntime: "mydocker",
    Runtimes: { mydocker: { path: "mydocker-shim" } },
    SecurityOptions: ["name=seccomp,profile=builtin", "name=cgroupns"],
    Plugins: { Volume: ["local"], Network: ["host", "none"], Log: ["json-file", "local", "none"] },
    RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: ["127.0.0.0/8"] },
    Swarm: { LocalNodeState: "inactive" },
    Labels: [],
    ExperimentalBuild: false,
    Warnings: null,
  });
}

export function systemRoutes(r: Router): void {
  r.get("/_ping", ping).head("/_ping", ping).get("/version", version).get("/info", info);
}
