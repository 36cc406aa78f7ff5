// The device rules a container's cgroup gets: the spec's, and what the devices the runtime
// creates need.
import type { DeviceCgroupRule, LinuxResources, Spec } from "../spec/runtime.js";
import { defaultDeviceRules } from "./defaults.js";

/** The spec's device rules, plus what the default devices need when it restricts devices. */
export function cgroupResources(spec: Spec): LinuxResources | undefined {
  const resources = spec.linux?.resources;
  if (!resources?.devices) return resources;
  // A device the spec has a rule of its own for gets that rule only (docker's --device
  // /dev/x:/dev/y:r must stay read-only).
  const ruled = new Set(resources.devices.filter((r) => r.major != null && r.minor != null).map((r) => `${r.type ?? "a"} ${r.major}:${r.minor}`));
  const own = (spec.linux?.devices ?? []).filter((d) => d.type !== "p" && !ruled.has(`${d.type === "b" ? "b" : "c"} ${d.major ?? 0}:${d.minor ?? 0}`));
  const ownRules = own.map((d) => ({
    allow: true,
    type: d.type === "b" ? ("b" as const) : ("c" as const),
    major: d.major ?? 0,
    minor: d.minor ?? 0,
    access: "rwm",
  }));
  // A rule the spec already allows after its last deny is in force at the end: writing it
  // again (docker's specs carry the defaults themselves) is only more writes.
  const rules = resources.devices;
  let lastDeny = rules.length - 1;
  while (lastDeny >= 0 && rules[lastDeny].allow) lastDeny--;
  const inForce = new Set(rules.slice(lastDeny + 1).map(ruleKey));
  const extra = [...defaultDeviceRules(), ...ownRules].filter((r) => !inForce.has(ruleKey(r)));
  return { ...resources, devices: [...rules, ...extra] };
}

function ruleKey(r: DeviceCgroupRule): string {
  return `${r.type ?? "a"} ${r.major ?? -1}:${r.minor ?? -1} ${r.access ?? "rwm"}`;
}
