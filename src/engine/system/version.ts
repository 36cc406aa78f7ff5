// docker version's server half (the Engine API's /version): what this engine is and runs on.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The Engine API version whose shapes the engine answers in. */
export const API_VERSION = "1.47";
export const MIN_API_VERSION = "1.24";

export interface ComponentVersion {
  Name: string;
  Version: string;
  Details?: Record<string, string>;
}

/** The Engine API's types.Version. */
export interface ServerVersion {
  Platform: { Name: string };
  Components: ComponentVersion[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  KernelVersion: string;
  BuildTime: string;
}

/** Go's names for the machine (GOARCH), as docker prints them. */
export function goArch(arch: string = process.arch): string {
  return ({ x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x" } as Record<string, string>)[arch] ?? arch;
}

/**
 * This package's version, from its package.json: looked for upwards, since this module runs
 * from dist/src/engine/system/ or from the command line's bundle in dist/src/cli/.
 */
export function packageVersion(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (!fs.existsSync(file)) continue;
    const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (pkg.name === "mydocker" && pkg.version) return pkg.version;
  }
  return "unknown";
}

export function serverVersion(): ServerVersion {
  const version = packageVersion();
  return {
    Platform: { Name: "mydocker" },
    Components: [
      {
        Name: "Engine",
        Version: version,
        Details: { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: "linux", Arch: goArch(), KernelVersion: os.release(), NodeVersion: process.version, Experimental: "false" },
      },
    ],
    Version: version,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: "",
    GoVersion: process.version,
    Os: "linux",
    Arch: goArch(),
    KernelVersion: os.release(),
    BuildTime: "",
  };
}
