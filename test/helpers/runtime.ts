// For suites that drive the runtime directly: why they cannot run here, and the OCI spec of
// a busybox container with a cgroup of its own.
import fs from "node:fs";
import { defaultShimPath, defaultSpec } from "../../src/runtime/index.js";
import type { Spec } from "../../src/spec/runtime.js";

/** A skip message, or false when this machine can run containers through the runtime. */
export function runtimeSkip(needs = "namespaces, mounts and cgroups"): string | false {
  if (process.getuid?.() !== 0) return `needs root: containers need ${needs}`;
  if (!fs.existsSync(defaultShimPath())) return `${defaultShimPath()} is missing: build it with make -C native`;
  return false;
}

/** docker's default spec running args, in the cgroup named id; change adjusts the rest. */
export function ociSpec(id: string, args: string[], change?: (s: Spec) => void): Spec {
  const s = defaultSpec();
  s.process!.args = args;
  s.linux!.cgroupsPath = id;
  change?.(s);
  return s;
}
