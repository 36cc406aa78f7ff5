// docker's --device HOST[:CONTAINER][:PERMISSIONS] and --device-cgroup-rule: the nodes made
// in the container's /dev and the device cgroup rules that let it use them.
import fs from "node:fs";
import type { Device, DeviceCgroupRule } from "../../spec/runtime.js";
import { FlagError, MydockerError } from "../../util/errors.js";
import type { DeviceMapping } from "../container-config.js";
import { deviceFromStat, hostDevices } from "../host-devices.js";

const MODE = /^[rwm]{1,3}$/;

function validMode(mode: string): boolean {
  return MODE.test(mode) && new Set(mode).size === mode.length;
}

function bad(flag: string, text: string, why: string): never {
  throw new FlagError("EINVAL", `invalid argument "${text}" for "${flag}" flag: ${why}`);
}

/** As docker's parseDevice: the second field is the permissions when it reads as them, else the path inside. */
export function parseDevice(text: string): DeviceMapping {
  const parts = text.split(":");
  let inside = "";
  let mode = "rwm";
  if (parts.length === 3) {
    if (!validMode(parts[2]!)) bad("--device", text, `invalid device mode: ${parts[2]}`);
    [, inside, mode] = parts as [string, string, string];
  } else if (parts.length === 2) {
    if (validMode(parts[1]!)) mode = parts[1]!;
    else inside = parts[1]!;
  } else if (parts.length !== 1) {
    bad("--device", text, `invalid device specification: ${text}`);
  }
  const host = parts[0]!;
  if (!host.startsWith("/")) bad("--device", text, `${host} is not an absolute path`);
  if (inside !== "" && !inside.startsWith("/")) bad("--device", text, `${inside} is not an absolute path`);
  return { PathOnHost: host, PathInContainer: inside || host, CgroupPermissions: mode };
}

/** A device as an API request gives it: checked as the flag is. */
export function checkDevice(m: DeviceMapping): DeviceMapping {
  const text = `${m.PathOnHost}:${m.PathInContainer}:${m.CgroupPermissions}`;
  const mode = m.CgroupPermissions || "rwm";
  if (!validMode(mode)) bad("--device", text, `invalid device mode: ${mode}`);
  if (!m.PathOnHost.startsWith("/")) bad("--device", text, `${m.PathOnHost} is not an absolute path`);
  const inside = m.PathInContainer || m.PathOnHost;
  if (!inside.startsWith("/")) bad("--device", text, `${inside} is not an absolute path`);
  return { PathOnHost: m.PathOnHost, PathInContainer: inside, CgroupPermissions: mode };
}

const RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** `c 1:3 rwm`, `b *:* m`, `a *:* rwm`: checked as docker's ValidateDeviceCgroupRule. */
export function checkDeviceCgroupRule(text: string): string {
  const m = RULE.exec(text);
  if (!m || !validMode(m[4]!)) bad("--device-cgroup-rule", text, `invalid device cgroup format '${text}'`);
  return text;
}

export function deviceCgroupRule(text: string): DeviceCgroupRule {
  const [, type, major, minor, access] = RULE.exec(text) ?? bad("--device-cgroup-rule", text, `invalid device cgroup format '${text}'`);
  const num = (s: string) => (s === "*" ? null : Number(s));
  return { allow: true, type: type as "a" | "b" | "c", major: num(major!), minor: num(minor!), access };
}

/**
 * The host's device (or every device below a host directory, as docker does) as nodes in
 * the container, each with its cgroup rule. Read when the container starts.
 */
export function mappedDevices(m: DeviceMapping): { devices: Device[]; rules: DeviceCgroupRule[] } {
  let st: fs.Stats;
  try {
    st = fs.statSync(m.PathOnHost);
  } catch (e) {
    throw new MydockerError(
      "EINVAL",
      `error gathering device information while adding custom device "${m.PathOnHost}": ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (e as Error).message}`,
    );
  }
  const isDevice = st.isCharacterDevice() || st.isBlockDevice();
  const devices = st.isDirectory() ? hostDevices(m.PathOnHost, m.PathInContainer) : isDevice ? [deviceFromStat(st, m.PathInContainer)] : [];
  if (devices.length === 0) throw new MydockerError("EINVAL", `error gathering device information while adding custom device "${m.PathOnHost}": not a device node`);
  const rules = devices.map((d): DeviceCgroupRule => ({ allow: true, type: d.type === "b" ? "b" : "c", major: d.major, minor: d.minor, access: m.CgroupPermissions }));
  return { devices, rules };
}
