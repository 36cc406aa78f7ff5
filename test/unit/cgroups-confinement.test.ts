// A container's cgroup in every hierarchy (a hybrid host's unified one included) and the
// /sys/fs/cgroup the runtime compiles from them: fake cgroupfs trees and golden plans.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { kernelClonesIntoCgroup, V1Driver, V2Driver, type CgroupHierarchy } from "../../src/cgroups/index.js";
import { cgroupMountSteps } from "../../src/runtime/compile-cgroup-mount.js";
import { compile, compileExec } from "../../src/runtime/compile.js";
import { defaultSpec } from "../../src/runtime/defaults.js";
import type { ChildStep } from "../../src/runtime/plan.js";
import { fakeV1Cgroup, fakeV1Mounts, fakeV2Cgroup, tempRoot } from "./cgroups-fake-tree.js";

const MS = { RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, REMOUNT: 32, BIND: 4096, RELATIME: 1 << 21 };
const CLONE_NEWCGROUP = 0x2000000;
const ROOT = "/b/rootfs";
const RO = MS.RDONLY | MS.NOSUID | MS.NOEXEC | MS.NODEV;

function mount(source: string, path: string, fstype: string, flags: number, data: string, mkdir: "dir" | "none"): ChildStep {
  return { op: "mount", source, root: ROOT, path, fstype, flags, data, mkdir };
}

describe("the v1 driver on a hybrid host (fake cgroupfs)", () => {
  let root: string;
  let driver: V1Driver;

  beforeEach(() => {
    root = tempRoot();
    mkdirSync(join(root, "unified"));
    driver = new V1Driver({
      mounts: { ...fakeV1Mounts(root), "name=systemd": join(root, "systemd") },
      flags: { [join(root, "systemd")]: ["xattr"] },
      unified: join(root, "unified"),
    });
    // A real cgroupfs fills a new directory with its files; the fake one is laid out ahead.
    fakeV1Cgroup(root, "mydocker/c1");
    mkdirSync(join(root, "systemd"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("makes the container's cgroup in the unified hierarchy too (removal: test/integration/cgroups-confinement)", () => {
    driver.create("mydocker/c1");
    assert.ok(existsSync(join(root, "unified/mydocker/c1")), "a directory of its own in the cgroup2 hierarchy");
    assert.ok(existsSync(join(root, "systemd/mydocker/c1")));
    rmSync(join(root, "memory/mydocker/c1"), { recursive: true });
    assert.ok(driver.open("mydocker/c1"), "found by any of its directories");
    assert.deepEqual(driver.children("mydocker"), ["mydocker/c1"]);
  });

  it("a child joins the v1 hierarchies by tasks and the unified one by cgroup.procs", () => {
    const files = driver.create("mydocker/c1").selfJoinFiles();
    assert.equal(files.length, 10);
    assert.ok(files.includes(join(root, "unified/mydocker/c1/cgroup.procs")));
    assert.ok(files.includes(join(root, "memory/mydocker/c1/tasks")));
  });

  it("describes each hierarchy with the data that names it in mount(2)", () => {
    const hs = driver.create("mydocker/c1").hierarchies();
    const byDir = new Map(hs.map((h) => [h.dir, h]));
    assert.deepEqual(byDir.get("memory"), { dir: "memory", fstype: "cgroup", data: "memory", own: join(root, "memory/mydocker/c1") });
    // The hierarchy's own flags too: other flags would be ignored with a kernel warning per mount.
    assert.deepEqual(byDir.get("systemd"), { dir: "systemd", fstype: "cgroup", data: "none,name=systemd,xattr", own: join(root, "systemd/mydocker/c1") });
    assert.deepEqual(hs.at(-1), { dir: "unified", fstype: "cgroup2", data: "", own: join(root, "unified/mydocker/c1") });
  });

  it("with CLONE_INTO_CGROUP, the child is born in the unified cgroup and joins only the v1 ones itself", () => {
    const born = new V1Driver({ mounts: fakeV1Mounts(root), unified: join(root, "unified"), cloneInto: true }).create("mydocker/c1");
    assert.equal(born.cloneInto(), join(root, "unified/mydocker/c1"));
    assert.deepEqual(born.selfJoinFiles().filter((f) => f.includes("unified")), []);
    assert.equal(born.selfJoinFiles().length, 8);
    assert.equal(driver.create("mydocker/c1").cloneInto(), undefined, "not unless the kernel has it");
  });

  it("co-mounted controllers are one hierarchy named by both", () => {
    const shared = new V1Driver({ mounts: { ...fakeV1Mounts(root), cpu: join(root, "cpu,cpuacct"), cpuacct: join(root, "cpu,cpuacct") } });
    fakeV1Cgroup(root, "x");
    mkdirSync(join(root, "cpu,cpuacct/mydocker/c1"), { recursive: true });
    const h = shared.create("mydocker/c1").hierarchies().find((x) => x.dir === "cpu,cpuacct");
    assert.equal(h?.data, "cpu,cpuacct");
  });
});

describe("the v2 driver's one hierarchy", () => {
  let root: string;
  beforeEach(() => {
    root = tempRoot();
    fakeV2Cgroup(root, "", "cpu memory pids");
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("a child is born in it where the kernel can (Linux 5.7), else joins by cgroup.procs", () => {
    const born = new V2Driver({ root, cloneInto: true }).create("mydocker/c1");
    assert.deepEqual([born.cloneInto(), born.selfJoinFiles()], [join(root, "mydocker/c1"), []]);
    const moved = new V2Driver({ root }).create("mydocker/c1");
    assert.deepEqual([moved.cloneInto(), moved.selfJoinFiles()], [undefined, [join(root, "mydocker/c1/cgroup.procs")]]);
    assert.deepEqual(["4.19.0", "5.6.19", "5.7.0", "6.18.44-fc-v657", "10.0"].map(kernelClonesIntoCgroup), [false, false, true, true, true]);
  });

  it("is the mount point itself", () => {
    const cg = new V2Driver({ root }).create("mydocker/c1");
    assert.deepEqual(cg.hierarchies(), [{ dir: "", fstype: "cgroup2", data: "", own: join(root, "mydocker/c1") }]);
  });
});

const HYBRID: CgroupHierarchy[] = [
  { dir: "cpu,cpuacct", fstype: "cgroup", data: "cpu,cpuacct", own: "/sys/fs/cgroup/cpu,cpuacct/p/c1" },
  { dir: "memory", fstype: "cgroup", data: "memory", own: "/sys/fs/cgroup/memory/p/c1" },
  { dir: "systemd", fstype: "cgroup", data: "none,name=systemd", own: "/sys/fs/cgroup/systemd/p/c1" },
  { dir: "unified", fstype: "cgroup2", data: "", own: "/sys/fs/cgroup/unified/p/c1" },
];
const V2: CgroupHierarchy[] = [{ dir: "", fstype: "cgroup2", data: "", own: "/sys/fs/cgroup/p/c1" }];

describe("compiling the container's /sys/fs/cgroup", () => {
  it("hybrid, in a cgroup namespace: a tmpfs, each hierarchy mounted fresh, links, then all read-only", () => {
    assert.deepEqual(cgroupMountSteps("/sys/fs/cgroup", MS.RDONLY, { root: ROOT, hierarchies: HYBRID, namespaced: true }), [
      mount("tmpfs", "/sys/fs/cgroup", "tmpfs", MS.NOSUID | MS.NOEXEC | MS.NODEV, "mode=755", "dir"),
      mount("cgroup", "/sys/fs/cgroup/cpu,cpuacct", "cgroup", RO, "cpu,cpuacct", "dir"),
      mount("cgroup", "/sys/fs/cgroup/memory", "cgroup", RO, "memory", "dir"),
      mount("cgroup", "/sys/fs/cgroup/systemd", "cgroup", RO, "none,name=systemd", "dir"),
      mount("cgroup2", "/sys/fs/cgroup/unified", "cgroup2", RO, "", "dir"),
      { op: "symlink", target: "cpu,cpuacct", root: ROOT, path: "/sys/fs/cgroup/cpu" },
      { op: "symlink", target: "cpu,cpuacct", root: ROOT, path: "/sys/fs/cgroup/cpuacct" },
      mount("", "/sys/fs/cgroup", "", RO | MS.BIND | MS.REMOUNT, "", "none"),
    ]);
  });

  it("v2, in a cgroup namespace: one cgroup2 mount; rw when the spec says so (--privileged)", () => {
    assert.deepEqual(cgroupMountSteps("/sys/fs/cgroup", MS.RDONLY, { root: ROOT, hierarchies: V2, namespaced: true }), [
      mount("cgroup2", "/sys/fs/cgroup", "cgroup2", RO, "", "dir"),
    ]);
    assert.deepEqual(cgroupMountSteps("/sys/fs/cgroup", 0, { root: ROOT, hierarchies: V2, namespaced: true }), [
      mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS.NOSUID | MS.NOEXEC | MS.NODEV, "", "dir"),
    ]);
  });

  it("without a cgroup namespace: the container's own directories bound, never a fresh mount of the host's tree", () => {
    const steps = cgroupMountSteps("/sys/fs/cgroup", MS.RDONLY, { root: ROOT, hierarchies: HYBRID, namespaced: false });
    assert.ok(!steps.some((s) => s.op === "mount" && (s.fstype === "cgroup" || s.fstype === "cgroup2")));
    assert.deepEqual(steps.slice(1, 3), [
      mount("/sys/fs/cgroup/cpu,cpuacct/p/c1", "/sys/fs/cgroup/cpu,cpuacct", "", MS.BIND, "", "dir"),
      mount("", "/sys/fs/cgroup/cpu,cpuacct", "", RO | MS.BIND | MS.REMOUNT, "", "none"),
    ]);
    assert.deepEqual(cgroupMountSteps("/sys/fs/cgroup", MS.RDONLY, { root: ROOT, hierarchies: V2, namespaced: false }), [
      mount("/sys/fs/cgroup/p/c1", "/sys/fs/cgroup", "", MS.BIND, "", "dir"),
      mount("", "/sys/fs/cgroup", "", RO | MS.BIND | MS.REMOUNT, "", "none"),
    ]);
  });

  it("clonecgroup follows clone (and an exec's pidns), for run and exec alike", () => {
    const run = compile(defaultSpec(), { bundle: "/b", lastCap: 40, cloneCgroup: "/sys/fs/cgroup/unified/p/c1" });
    assert.deepEqual(run[1], { op: "clonecgroup", path: "/sys/fs/cgroup/unified/p/c1" });
    const exec = compileExec({ pid: 42, namespaces: ["pid", "mount"] }, { args: ["true"], cwd: "/", user: { uid: 0, gid: 0 } }, { lastCap: 40, cloneCgroup: "/c" });
    assert.deepEqual(exec.slice(1, 3), [{ op: "pidns", path: "/proc/42/ns/pid" }, { op: "clonecgroup", path: "/c" }]);
  });

  it("the default spec: the cgroup namespace is made after the joins, before the mounts that need it", () => {
    const spec = defaultSpec();
    const plan = compile(spec, { bundle: "/b", lastCap: 40, cgroupJoin: ["/sys/fs/cgroup/memory/p/c1/tasks"], cgroupHierarchies: HYBRID });
    const ops = plan.map((s) => s.op);
    const unshare = plan.findIndex((s) => s.op === "unshare" && s.flags === CLONE_NEWCGROUP);
    assert.ok(ops.indexOf("cgroupjoin") < unshare, "joined first: the namespace's root is the container's cgroup");
    const firstCgroupMount = plan.findIndex((s) => s.op === "mount" && s.fstype === "cgroup");
    assert.ok(unshare < firstCgroupMount, "mounted inside the namespace");
    assert.equal(plan[0]?.op === "clone" && (plan[0].flags & CLONE_NEWCGROUP), 0, "not made by clone: before the join");
    const ro = plan.find((s) => s.op === "mount" && s.path === "/sys/fs/cgroup/memory");
    assert.ok(ro?.op === "mount" && ro.flags & MS.RDONLY, "read-only by default");
  });
});
