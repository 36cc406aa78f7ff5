// A container's cgroups as it sees them and as the host does: its own cgroup in every
// hierarchy (a hybrid host's unified one too), a cgroup namespace rooted there, its own
// limits read-only at /sys/fs/cgroup, nothing of the host's tree within reach, and not
// one directory left after rm.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { detectCgroupDriver, parseCgroupMounts } from "../../src/cgroups/index.js";
import { BIN, cgroupDirs, cliSuite, isRoot, NOT_ROOT } from "../helpers/cli.js";

const mounts = parseCgroupMounts(isRoot() ? fs.readFileSync("/proc/self/mountinfo", "utf8") : "");
const v1 = isRoot() && detectCgroupDriver().version === 1;
/** Every hierarchy the driver puts a container in: each v1 mount and the unified one, or the v2 one. */
const hierarchyCount = v1 ? new Set(Object.values(mounts.v1)).size + (mounts.unified ? 1 : 0) : 1;
const LIMIT = 48 * 1024 * 1024;

describe("cgroup confinement", { skip: isRoot() ? false : NOT_ROOT }, () => {
  const { md, roots } = cliSuite();
  /** What a container may need to mount a filesystem itself: CAP_SYS_ADMIN, and no seccomp filter where the engine has one. */
  let mountFlags: string[] | undefined;
  const canMount = (): string[] => {
    mountFlags ??= md("run", "--rm", "--security-opt", "seccomp=unconfined", "busybox", "true").status === 0
      ? ["--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined"]
      : ["--cap-add", "SYS_ADMIN"];
    return mountFlags;
  };
  const cgroupLines = (text: string) => text.split("\n").filter((l) => /^\d+:/.test(l));

  it("a default container's /proc/self/cgroup is namespaced: / in every hierarchy, the unified one included", () => {
    const r = md("run", "--rm", "busybox", "cat", "/proc/self/cgroup");
    assert.equal(r.status, 0, r.stderr);
    const lines = cgroupLines(r.stdout);
    assert.ok(lines.length >= hierarchyCount, r.stdout);
    for (const line of lines) assert.match(line, /:\/$/, `every hierarchy at its namespace's root: ${r.stdout}`);
    if (mounts.unified) assert.ok(lines.includes("0::/"), r.stdout);
  });

  it("its own cgroup in every hierarchy, each removed by rm", () => {
    const id = md("run", "-d", "busybox", "sleep", "60").stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const dirs = cgroupDirs(`${roots().cgroupParent}/${id}`);
    assert.equal(dirs.length, hierarchyCount, `one directory per hierarchy: ${dirs.join(" ")}`);
    if (mounts.unified) assert.ok(dirs.includes(path.join(mounts.unified, roots().cgroupParent, id)), "in the unified hierarchy too");
    const exec = md("exec", id, "cat", "/proc/self/cgroup");
    assert.equal(exec.status, 0, exec.stderr);
    for (const line of cgroupLines(exec.stdout)) assert.match(line, /:\/$/, `exec joins the namespace too: ${exec.stdout}`);
    assert.equal(md("rm", "-f", id).status, 0);
    assert.deepEqual(cgroupDirs(`${roots().cgroupParent}/${id}`), [], "no cgroup directory left in any hierarchy");
  });

  it("its /sys/fs/cgroup shows its own -m limit, read-only", () => {
    const file = v1 ? "/sys/fs/cgroup/memory/memory.limit_in_bytes" : "/sys/fs/cgroup/memory.max";
    const r = md("run", "--rm", "-m", "48m", "busybox", "sh", "-c", `cat ${file}; echo 1 > ${file} && echo WROTE; mkdir /sys/fs/cgroup/x && echo MADE; true`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.split("\n")[0], String(LIMIT), r.stdout);
    assert.doesNotMatch(r.stdout, /WROTE|MADE/);
    assert.match(r.stderr, /Read-only file system/);
  });

  it("the hybrid layout as runc shows it: each v1 hierarchy, unified as cgroup2, links for co-mounted ones", { skip: v1 ? false : "a v2 host has one hierarchy" }, () => {
    const r = md("run", "--rm", "busybox", "sh", "-c", "grep ' /sys/fs/cgroup' /proc/self/mountinfo; ls /sys/fs/cgroup");
    assert.equal(r.status, 0, r.stderr);
    const entries = new Set(r.stdout.split("\n").filter((l) => l && !l.includes(" ")));
    for (const [subsystem, mount] of Object.entries(mounts.v1)) {
      assert.ok(entries.has(path.basename(mount)), `${path.basename(mount)} in ${[...entries].join(" ")}`);
      if (!subsystem.startsWith("name=")) assert.ok(entries.has(subsystem), `${subsystem} (a link where co-mounted)`);
    }
    if (mounts.unified) assert.match(r.stdout, /\/sys\/fs\/cgroup\/unified \S+ - cgroup2 /);
    for (const line of r.stdout.split("\n").filter((l) => l.includes(" - cgroup"))) assert.match(line, /\sro,/, `read-only: ${line}`);
  });

  it("a cgroup filesystem it mounts itself shows only its own subtree", () => {
    const parent = roots().cgroupParent;
    // Where the container could otherwise climb: its engine's parent cgroup on the host.
    const script = [
      "mkdir -p /mnt/v2 && mount -t cgroup2 none /mnt/v2 || exit 3",
      "ls /mnt/v2 | grep -v '^cgroup\\.\\|\\.' ; echo --",
      "mkdir /mnt/v2/sub && echo $$ > /mnt/v2/sub/cgroup.procs && grep '^0::' /proc/self/cgroup",
      v1 ? "mkdir -p /mnt/mem && mount -t cgroup -o memory none /mnt/mem && cat /mnt/mem/memory.limit_in_bytes" : "cat /mnt/v2/memory.max",
    ].join("\n");
    const r = md("run", "--rm", ...canMount(), "-m", "48m", "busybox", "sh", "-c", script);
    if (r.status === 3 && !mounts.unified) return; // no cgroup2 on a pure v1 host
    assert.equal(r.status, 0, r.stderr);
    const [listing = "", rest = ""] = r.stdout.split("--\n");
    assert.doesNotMatch(r.stdout, new RegExp(parent), "the host's tree is out of sight");
    assert.equal(listing.trim(), "", `no child cgroups: the root is the container's own (${listing})`);
    assert.deepEqual(rest.trim().split("\n"), ["0::/sub", String(LIMIT)], "a sub-cgroup of its own works; the root it sees is its limited cgroup");
  });

  it("no write reaches a cgroup outside its own", () => {
    // A cgroup the test made beside the container's: the container has no path that names it.
    const victim = path.join(mounts.unified ?? "/sys/fs/cgroup", roots().cgroupParent, "victim");
    fs.mkdirSync(victim, { recursive: true });
    try {
      const script = [
        "mkdir -p /mnt/v2 && mount -t cgroup2 none /mnt/v2 || exit 3",
        "for d in $(find /mnt/v2 /sys/fs/cgroup -name victim) /mnt/v2/../victim; do echo $d; echo $$ > $d/cgroup.procs && echo MOVED; done 2>/dev/null; true",
      ].join("\n");
      const r = md("run", "--rm", ...canMount(), "busybox", "sh", "-c", script);
      if (r.status === 3 && !mounts.unified) return;
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), "/mnt/v2/../victim", `nothing found, nothing moved: ${r.stdout}`);
      assert.equal(fs.readFileSync(path.join(victim, "cgroup.procs"), "utf8"), "");
    } finally {
      fs.rmdirSync(victim);
    }
  });

  it("--cgroupns host: the host's paths, and still its own cgroups (bound) at /sys/fs/cgroup", () => {
    const file = v1 ? "/sys/fs/cgroup/memory/memory.limit_in_bytes" : "/sys/fs/cgroup/memory.max";
    const r = md("run", "--name", "hostns", "--cgroupns", "host", "-m", "48m", "busybox", "sh", "-c", `cat /proc/self/cgroup; cat ${file}`);
    assert.equal(r.status, 0, r.stderr);
    const id = md("inspect", "-f", "{{.Id}}", "hostns").stdout.trim();
    const lines = cgroupLines(r.stdout);
    assert.ok(lines.length >= hierarchyCount);
    for (const line of lines) assert.ok(line.endsWith(`/${roots().cgroupParent}/${id}`), `host path: ${line}`);
    assert.ok(r.stdout.trim().endsWith(String(LIMIT)), r.stdout);
    const hc = JSON.parse(md("inspect", "hostns").stdout)[0].HostConfig;
    assert.equal(hc.CgroupnsMode, "host");
    assert.equal(md("rm", "hostns").status, 0);
  });

  it("inspect says private by default; a wrong mode is refused", () => {
    const id = md("create", "busybox", "true").stdout.trim();
    assert.equal(JSON.parse(md("inspect", id).stdout)[0].HostConfig.CgroupnsMode, "private");
    md("rm", id);
    const bad = md("run", "--rm", "--cgroupns", "shared", "busybox", "true");
    assert.equal(bad.status, 125);
    assert.match(bad.stderr, /invalid --cgroupns 'shared': use private or host/);
  });

  it("where clone3 is refused (ENOSYS, an outer container's seccomp filter), the child is still put in its cgroup2 cgroup", () => {
    // A filter like docker's default profile has: clone3 fails with ENOSYS for mydocker and its shims.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-noclone3-"));
    try {
      const program = path.join(dir, "noclone3");
      fs.writeFileSync(`${program}.c`, NO_CLONE3_C);
      const cc = spawnSync("cc", ["-O2", "-o", program, `${program}.c`], { encoding: "utf8" });
      if (cc.status !== 0 || os.arch() !== "x64") return; // x86_64's clone3 number, a C compiler: see NO_CLONE3_C
      const r = spawnSync(program, [BIN, "run", "--rm", "busybox", "cat", "/proc/self/cgroup"], { env: roots().env, encoding: "utf8", timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      if (mounts.unified || !v1) assert.match(r.stdout, /^0::\/$/m, "in its own cgroup2 cgroup, at the namespace's root");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--privileged gets its cgroups read-write, as docker", () => {
    const r = md("run", "--rm", "--privileged", "busybox", "sh", "-c", "grep ' - cgroup' /proc/self/mountinfo");
    assert.equal(r.status, 0, r.stderr);
    for (const line of r.stdout.trim().split("\n")) assert.match(line, /\srw,/, line);
  });
});

/** Runs argv under a seccomp filter that fails clone3 (435 on x86_64) with ENOSYS. */
const NO_CLONE3_C = `#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
int main(int argc, char **argv) {
  struct sock_filter f[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 435, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {.len = 4, .filter = f};
  if (argc < 2 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) { perror("seccomp"); return 1; }
  execv(argv[1], argv + 1);
  perror("execv");
  return 1;
}
`;
