// A new network namespace pinned on a file, made by a shim: its child is cloned into a new
// network namespace, binds its own /proc/self/ns/net onto the file and execs `true`. Through
// the launcher this costs the caller's thread a connection, where forking `unshare` from a
// Node process cost ~12 ms of it under load: with 20 `docker run -d` at once, those forks
// set the daemon's pace.
import { launch } from "./launch.js";
import * as L from "./linux.js";
import type { Plan } from "./plan.js";
import type { RuntimeContext } from "./runtime-context.js";

/** The plan: no other namespace, nothing of the host's hidden (the bind is the host's mount). */
export function netnsPinPlan(file: string): Plan {
  return [
    { op: "clone", flags: L.CLONE_NEWNET },
    { op: "mount", source: "/proc/self/ns/net", root: "", path: file, fstype: "", flags: L.MS_BIND, data: "", mkdir: "none" },
    { op: "exec", searchPath: "/usr/bin:/bin", argv: ["true"] },
  ];
}

/** Pins a new network namespace on file (an existing file, empty); a failed step throws with its errno. */
export async function pinNetns(ctx: RuntimeContext, file: string): Promise<void> {
  const { shim } = await launch({ shimPath: ctx.shimPath, plan: () => netnsPinPlan(file), stdio: "ignore", until: "exec", launcher: await ctx.launcherFor(), debug: ctx.debug });
  // The bind is made before exec: `true` and its monitor end on their own.
  shim.release();
}
