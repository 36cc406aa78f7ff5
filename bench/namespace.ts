// All subjects run in one private mount namespace without the cgroup2 mount at
// /sys/fs/cgroup/unified: crun refuses this host's hybrid layout otherwise, and runc's
// timings are the same in and out of it (PEERS.md). Unmounting it there leaves the host untouched.
import { spawn } from "node:child_process";

const MARK = "MYDOCKER_BENCH_NAMESPACE";
const HYBRID_CGROUP2 = "/sys/fs/cgroup/unified";

export function inBenchNamespace(): boolean {
  return process.env[MARK] === "1";
}

/** Runs this same command again inside the namespace and resolves to its exit status. */
export function reexecInBenchNamespace(): Promise<number> {
  const script = `if mountpoint -q ${HYBRID_CGROUP2}; then umount ${HYBRID_CGROUP2} || exit 1; fi; exec "$@"`;
  const child = spawn(
    "unshare",
    ["--mount", "--propagation", "private", "sh", "-c", script, "sh", process.execPath, ...process.argv.slice(1)],
    { stdio: "inherit", env: { ...process.env, [MARK]: "1" } },
  );
  // Ctrl-C reaches the child too: wait for it to clean up instead of dying first.
  const ignore = () => {};
  process.on("SIGINT", ignore);
  process.on("SIGTERM", ignore);
  return new Promise((resolve) => {
    child.on("error", (e) => {
      console.error(`cannot start unshare: ${e.message}`);
      resolve(1);
    });
    child.on("close", (status, signal) => resolve(status ?? (signal ? 128 : 1)));
  });
}
