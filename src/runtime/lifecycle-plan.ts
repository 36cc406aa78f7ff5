// start and delete of a handed-off container (myrunc's), compiled when it is created. Its
// caller runs the runtime once per step (containerd's shim: create, start, delete, delete
// --force), and node's start costs more than runc's whole step; bin/myrunc has the shim run
// these plans (`mydocker-shim --lifecycle`, docs/plan.md) instead. A plan checks that the
// container is still as it was made (the process waiting, or gone; the cgroup empty); when
// it is not, the shim declines and the runtime's own start or delete runs, which says why.
import type { Cgroup } from "../cgroups/types.js";
import { encodePlan, type LifecycleStep } from "./plan.js";
import { writeAtomic, type StateDir, type StateRecord } from "./state.js";

/** A created container's record: its process is known. */
type CreatedRecord = StateRecord & { pid: number; pidStartTime: string };

export function writeLifecyclePlans(sd: StateDir, rec: CreatedRecord, cgroup: Cgroup | undefined): void {
  const { startContainer, poststart, poststop } = rec.hooks ?? {};
  // Hooks are the runtime's to run (hooks.ts): a container with them has no plan for that step.
  if (!startContainer?.length && !poststart?.length) {
    write(sd.startPlan, [{ op: "awaitstart", fifo: sd.execFifo, pid: rec.pid, startTime: rec.pidStartTime }]);
  }
  if (!poststop?.length) {
    const monitor: LifecycleStep[] = rec.shimPid !== undefined && rec.shimStartTime ? [{ op: "gone", pid: rec.shimPid, startTime: rec.shimStartTime }] : [];
    write(sd.deletePlan, [
      { op: "gone", pid: rec.pid, startTime: rec.pidStartTime },
      ...monitor,
      ...(cgroup?.directories() ?? []).map((path): LifecycleStep => ({ op: "rmdir", path })),
      { op: "cleardir", path: sd.dir },
    ]);
  }
}

/** Whole or not at all: a create killed meanwhile leaves no plan that says less than it should. */
function write(file: string, steps: LifecycleStep[]): void {
  writeAtomic(file, encodePlan(steps));
}
