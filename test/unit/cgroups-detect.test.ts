import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { driverForMounts, parseCgroupMounts, readCgroupMounts } from "../../src/cgroups/index.js";

// This machine's layout: v1 controllers and an (almost) empty cgroup2 mount.
const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`;

// Debian 12 / Fedora / Ubuntu 22+: cgroup2 only.
const UNIFIED = `22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot`;

// Older systemd v1: cpu and cpuacct co-mounted, optional fields present.
const V1 = `25 24 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 master:2 - cgroup cgroup rw,cpu,cpuacct
26 24 0:23 / /sys/fs/cgroup/memory rw,nosuid shared:10 - cgroup cgroup rw,memory
27 24 0:24 / /sys/fs/cgroup/my\\040pids rw shared:11 - cgroup cgroup rw,pids,clone_children`;

describe("cgroup driver detection from mountinfo", () => {
  it("hybrid (v1 controllers plus cgroup2): the v1 driver", () => {
    const mounts = parseCgroupMounts(HYBRID);
    assert.deepEqual(mounts, {
      v1: {
        cpu: "/sys/fs/cgroup/cpu",
        cpuacct: "/sys/fs/cgroup/cpuacct",
        memory: "/sys/fs/cgroup/memory",
        "name=systemd": "/sys/fs/cgroup/systemd",
      },
      unified: "/sys/fs/cgroup/unified",
      v1Flags: { "/sys/fs/cgroup/systemd": ["xattr"] },
    });
    assert.equal(driverForMounts(mounts).version, 1);
  });

  it("cgroup2 only: the v2 driver", () => {
    const mounts = parseCgroupMounts(UNIFIED);
    assert.deepEqual(mounts, { v1: {}, v1Flags: {}, unified: "/sys/fs/cgroup" });
    assert.equal(driverForMounts(mounts).version, 2);
  });

  it("v1 with co-mounted controllers and escaped mount points", () => {
    const mounts = parseCgroupMounts(V1);
    assert.equal(mounts.v1.cpu, "/sys/fs/cgroup/cpu,cpuacct");
    assert.equal(mounts.v1.cpuacct, "/sys/fs/cgroup/cpu,cpuacct");
    assert.equal(mounts.v1.pids, "/sys/fs/cgroup/my pids");
    assert.equal(mounts.v1.clone_children, undefined);
    assert.equal(driverForMounts(mounts).version, 1);
  });

  it("only name=systemd plus cgroup2 is a v2 host", () => {
    const mounts = parseCgroupMounts(`${UNIFIED}\n40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd`);
    assert.equal(driverForMounts(mounts).version, 2);
  });

  it("no cgroup filesystem: a clear error", () => {
    assert.throws(() => driverForMounts(parseCgroupMounts("")), /no cgroup filesystem is mounted/);
  });

  it("reading mountinfo stops once every hierarchy in /proc/self/cgroup has its mount, with the whole file's answer", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mydocker-cgdetect-"));
    try {
      const info = path.join(dir, "mountinfo");
      const procCgroup = path.join(dir, "cgroup");
      fs.writeFileSync(procCgroup, "4:name=systemd:/\n3:memory:/\n2:cpuacct:/\n1:cpu:/\n0::/\n");
      // Many unrelated mounts after them (the rendering this saves), then one of a
      // hierarchy the process is not in: never read.
      const filler = Array.from({ length: 3000 }, (_, i) => `${100 + i} 23 0:99 / /mnt/m${i} rw - tmpfs tmpfs rw`).join("\n");
      fs.writeFileSync(info, `${HYBRID}\n${filler}\n9999 31 0:50 / /sys/fs/cgroup/rdma rw - cgroup cgroup rw,rdma\n`);
      assert.deepEqual(readCgroupMounts(info, procCgroup), parseCgroupMounts(HYBRID));
      fs.writeFileSync(procCgroup, "0::/\n");
      fs.writeFileSync(info, `${UNIFIED}\n`);
      assert.deepEqual(readCgroupMounts(info, procCgroup), parseCgroupMounts(UNIFIED));
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });

  it("on this host, the early stop finds what the whole mountinfo says", { skip: !fs.existsSync("/proc/self/mountinfo") && "no /proc" }, () => {
    assert.deepEqual(readCgroupMounts(), parseCgroupMounts(fs.readFileSync("/proc/self/mountinfo", "utf8")));
  });
});
