// podman (through conmon) driving bin/myrunc as its OCI runtime: run with the exit status,
// run -d + exec + stop + rm, and run -it with a real pty; in a store of the test's own.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { cgroupDirs } from "../helpers/cli.js";
import { installed, MYRUNC, runcEnv, type RuncEnv } from "../helpers/myrunc.js";
import { podmanStore } from "../helpers/podman-store.js";
import { runtimeSkip } from "../helpers/runtime.js";
import { waitFor } from "../helpers/wait.js";

const skip = runtimeSkip() || (!installed("podman") || !installed("conmon") ? "podman and conmon are not installed (apt-get install podman conmon)" : false);
const IMAGE = "localhost/myrunc-bb:latest";
// podman's default rlimits fail where CAP_SYS_RESOURCE is missing (see PEERS.md).
const LIMITS = ["--network", "none", "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"];
let env: RuncEnv;
let globals: string[];

function podman(args: string[], input?: string) {
  return spawnSync("podman", [...globals, ...args], { encoding: "utf8", input, timeout: 90_000, killSignal: "SIGKILL" });
}

before(() => {
  if (skip) return;
  env = runcEnv("myrunc-podman-");
  const store = path.join(env.base, "podman");
  globals = [
    ...podmanStore(store),
    "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--runtime", MYRUNC,
  ];
  const tar = spawnSync("tar", ["-C", path.join(env.base, "rootfs"), "-c", "."], { maxBuffer: 64 << 20 });
  const imp = spawnSync("podman", [...globals, "import", "-", IMAGE], { input: tar.stdout, encoding: "utf8", timeout: 90_000 });
  assert.equal(imp.status, 0, imp.stderr);
});

after(async () => {
  if (skip) return;
  podman(["rm", "-af", "-t", "0"]);
  podman(["system", "reset", "-f"]);
  // conmon ends a moment after the container it watched; its cgroup goes with the suite's.
  const conmons = cgroupDirs(`${env.cgroupParent}/conmon`);
  await waitFor(() => conmons.every((d) => !fs.existsSync(d) || fs.readFileSync(path.join(d, "cgroup.procs"), "utf8") === ""), { what: "conmon to end" });
  env.cleanup();
});

test("podman run passes the exit status and the output through", { skip }, () => {
  const r = podman(["run", "--rm", ...LIMITS, `--cgroup-parent=/${env.cgroupParent}`, IMAGE, "sh", "-c", "echo hi from podman; exit 5"]);
  assert.equal(r.stdout, "hi from podman\n");
  assert.equal(r.status, 5, r.stderr);
});

test("podman run -d, exec, stop and rm", { skip }, () => {
  const d = podman(["run", "-d", ...LIMITS, `--cgroup-parent=/${env.cgroupParent}`, "--name", "p1", IMAGE, "sleep", "600"]);
  assert.equal(d.status, 0, d.stderr);
  const status = () => podman(["inspect", "--format", "{{.State.Status}}", "p1"]).stdout.trim();
  assert.equal(status(), "running");
  // Execs that end at once: conmon reaps each and hears its status every time.
  for (let i = 0; i < 5; i++) {
    const ex = podman(["exec", "p1", "sh", "-c", `echo in exec ${i}; exit ${i + 3}`]);
    assert.equal(ex.stdout, `in exec ${i}\n`, `status ${ex.status} ${ex.stderr}`);
    assert.equal(ex.status, i + 3, ex.stderr);
  }
  assert.equal(podman(["stop", "-t", "1", "p1"]).status, 0);
  assert.equal(status(), "exited");
  assert.equal(podman(["rm", "p1"]).status, 0);
  assert.equal(podman(["ps", "-aq"]).stdout, "");
});

test("podman run -it gives the process a real pty", { skip }, () => {
  // podman -it wants a terminal of its own: script(1) gives it one (the words are the test's own).
  const line = ["podman", ...globals, "run", "--rm", "-it", ...LIMITS, `--cgroup-parent=/${env.cgroupParent}`, IMAGE, "sh", "-c", "'tty; exit 2'"].join(" ");
  const r = spawnSync("script", ["-qec", line, "/dev/null"], { encoding: "utf8", timeout: 90_000, killSignal: "SIGKILL", input: "" });
  assert.match(r.stdout, /\/dev\/pts\/\d+/);
  assert.equal(r.status, 2, r.stdout + r.stderr);
});
