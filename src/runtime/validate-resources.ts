// Shape checks of linux.resources; the cgroup driver checks the values it applies.
import type {
  DeviceCgroupRule,
  LinuxBlockIO,
  LinuxCPU,
  LinuxMemory,
  LinuxResources,
  LinuxThrottleDevice,
  LinuxWeightDevice,
} from "../spec/runtime.js";
import { compact, type JsonReader } from "./json-reader.js";

export function readResources(r: JsonReader, v: unknown, path: string): LinuxResources {
  const o = r.object(v, path);
  r.refuse(o, "network", path, "net_cls/net_prio are not managed by this runtime");
  r.refuse(o, "rdma", path, "the rdma cgroup controller is not managed by this runtime");
  const num = (x: unknown, p: string) => r.number(x, p);
  const int = (x: unknown, p: string) => r.integer(x, p);
  return compact({
    devices: r.optional(o, "devices", path, (x, p) => r.list(x, p, (e, q) => readDeviceRule(r, e, q))),
    memory: r.optional(o, "memory", path, (x, p): LinuxMemory => {
      const m = r.object(x, p);
      // Kernel memory accounting is gone from cgroup v2 and deprecated in v1 (runc ignores it; docker refuses it).
      r.refuse(m, "kernel", p, "kernel memory limits are deprecated by the kernel");
      r.refuse(m, "kernelTCP", p, "kernel TCP memory limits are deprecated by the kernel");
      return compact({
        limit: r.optional(m, "limit", p, int),
        reservation: r.optional(m, "reservation", p, int),
        swap: r.optional(m, "swap", p, int),
        swappiness: r.optional(m, "swappiness", p, int),
        disableOOMKiller: r.optional(m, "disableOOMKiller", p, (y, q) => r.boolean(y, q)),
      });
    }),
    cpu: r.optional(o, "cpu", path, (x, p): LinuxCPU => {
      const c = r.object(x, p);
      return compact({
        shares: r.optional(c, "shares", p, int),
        quota: r.optional(c, "quota", p, int),
        period: r.optional(c, "period", p, int),
        realtimeRuntime: r.optional(c, "realtimeRuntime", p, int),
        realtimePeriod: r.optional(c, "realtimePeriod", p, int),
        cpus: r.optional(c, "cpus", p, (y, q) => r.string(y, q)),
        mems: r.optional(c, "mems", p, (y, q) => r.string(y, q)),
        idle: r.optional(c, "idle", p, int),
      });
    }),
    pids: r.optional(o, "pids", path, (x, p) => ({ limit: r.required(r.object(x, p), "limit", p, int) })),
    blockIO: r.optional(o, "blockIO", path, (x, p) => readBlockIO(r, x, p, num)),
    hugepageLimits: r.optional(o, "hugepageLimits", path, (x, p) =>
      r.list(x, p, (e, q) => {
        const h = r.object(e, q);
        const pageSize = r.required(h, "pageSize", q, (y, s) => r.string(y, s));
        if (!/^[1-9]\d*[KMG]B$/.test(pageSize)) r.fail(`${q}.pageSize`, 'must be a size such as "2MB" or "1GB"');
        return { pageSize, limit: r.required(h, "limit", q, (y, s) => r.integer(y, s, 0)) };
      }),
    ),
    unified: r.optional(o, "unified", path, (x, p) => r.stringMap(x, p)),
  });
}

function readDeviceRule(r: JsonReader, v: unknown, path: string): DeviceCgroupRule {
  const o = r.object(v, path);
  const majorMinor = (x: unknown, p: string) => r.integer(x, p, -1);
  return compact({
    allow: r.required(o, "allow", path, (x, p) => r.boolean(x, p)),
    type: r.optional(o, "type", path, (x, p) => r.oneOf(x, p, ["a", "c", "b"] as const)),
    major: r.optional(o, "major", path, majorMinor),
    minor: r.optional(o, "minor", path, majorMinor),
    access: r.optional(o, "access", path, (x, p) => {
      const s = r.string(x, p);
      if (!/^[rwm]*$/.test(s)) r.fail(p, 'must be made of "r", "w" and "m"');
      return s;
    }),
  });
}

function readBlockIO(r: JsonReader, v: unknown, path: string, num: (x: unknown, p: string) => number): LinuxBlockIO {
  const o = r.object(v, path);
  const int = (x: unknown, p: string) => r.integer(x, p, 0);
  const weightDevice = (x: unknown, p: string): LinuxWeightDevice => {
    const d = r.object(x, p);
    return compact({
      major: r.required(d, "major", p, int),
      minor: r.required(d, "minor", p, int),
      weight: r.optional(d, "weight", p, int),
      leafWeight: r.optional(d, "leafWeight", p, int),
    });
  };
  const throttle = (x: unknown, p: string): LinuxThrottleDevice => {
    const d = r.object(x, p);
    return { major: r.required(d, "major", p, int), minor: r.required(d, "minor", p, int), rate: r.required(d, "rate", p, num) };
  };
  const throttles = (x: unknown, p: string) => r.list(x, p, throttle);
  return compact({
    weight: r.optional(o, "weight", path, int),
    leafWeight: r.optional(o, "leafWeight", path, int),
    weightDevice: r.optional(o, "weightDevice", path, (x, p) => r.list(x, p, weightDevice)),
    throttleReadBpsDevice: r.optional(o, "throttleReadBpsDevice", path, throttles),
    throttleWriteBpsDevice: r.optional(o, "throttleWriteBpsDevice", path, throttles),
    throttleReadIOPSDevice: r.optional(o, "throttleReadIOPSDevice", path, throttles),
    throttleWriteIOPSDevice: r.optional(o, "throttleWriteIOPSDevice", path, throttles),
  });
}
