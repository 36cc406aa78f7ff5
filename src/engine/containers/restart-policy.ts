// docker's --restart: parsed once for run, create and update; a policy changed while the
// container runs is handed from its monitor (which carries the policy it started with) to
// the engine, which restarts the container at its next exit as the new policy asks.
import { MydockerError } from "../../util/errors.js";
import type { RestartPolicy } from "../container-config.js";

export type { RestartPolicy };
import type { ContainerContext } from "./context.js";
import { isRunning } from "./context.js";

export function parseRestartPolicy(value: string): RestartPolicy {
  const [name, count] = value.split(":", 2);
  if (count !== undefined && !/^\d+$/.test(count)) throw new MydockerError("EINVAL", `invalid restart policy '${value}': the maximum retry count is a number`);
  return restartPolicyOf(name!, count === undefined ? undefined : Number(count), value);
}

/** docker's RestartPolicy {Name, MaximumRetryCount} (the API's form; "" is no), checked as the flag is. */
export function restartPolicyOf(name: string, count: number | undefined, given = name): RestartPolicy {
  const policy = name === "" ? "no" : name;
  if (policy !== "no" && policy !== "on-failure" && policy !== "always" && policy !== "unless-stopped") {
    throw new MydockerError("EINVAL", `invalid restart policy '${given}': use no, on-failure[:max-retries], always or unless-stopped`);
  }
  if (count && policy !== "on-failure") throw new MydockerError("EINVAL", `invalid restart policy '${given}': only on-failure takes a maximum retry count`);
  if (count !== undefined && (!Number.isInteger(count) || count < 0)) throw new MydockerError("EINVAL", `invalid restart policy '${given}': the maximum retry count must be 0 or more`);
  return { Name: policy, MaximumRetryCount: count ?? 0 };
}

/** docker update --restart: kept for the next start, and taken over from a running container's monitor. */
export function updateRestartPolicy(ctx: ContainerContext, id: string, policy: RestartPolicy): void {
  const c = ctx.reconciler.resolve(id);
  if (policy.Name !== "no" && c.hostConfig.AutoRemove) {
    throw new MydockerError("EINVAL", `cannot update the restart policy of ${c.name}: it is removed when it exits (--rm)`);
  }
  ctx.containers.setHostConfig(c.id, { ...c.hostConfig, RestartPolicy: policy });
  if (!isRunning(c.state.status)) return;
  // The monitor's own restarts follow the old policy: it stops them, and its exit command
  // (container cleanup) restarts the container under the new one.
  ctx.runtime.stopRestarts(c.id);
  ctx.containers.setState(c.id, { ...c.state, restartHandoff: true });
}

/** docker stop and kill end the restarts, the monitor's and a handed-over one alike. */
export function endRestarts(ctx: ContainerContext, id: string): void {
  ctx.runtime.stopRestarts(id);
  const c = ctx.containers.get(id);
  if (c?.state.restartHandoff) ctx.containers.setState(id, { ...c.state, restartHandoff: false });
}

function wantsRestart(p: RestartPolicy, exitCode: number, restarts: number): boolean {
  if (p.Name === "always" || p.Name === "unless-stopped") return true;
  return p.Name === "on-failure" && exitCode !== 0 && (p.MaximumRetryCount === 0 || restarts < p.MaximumRetryCount);
}

/** After a recorded exit: whether a policy handed over by update asks for the container to run again. */
export function takeRestartHandoff(ctx: ContainerContext, id: string): boolean {
  const c = ctx.containers.get(id);
  if (!c?.state.restartHandoff || isRunning(c.state.status)) return false;
  ctx.containers.setState(id, { ...c.state, restartHandoff: false });
  return wantsRestart(c.hostConfig.RestartPolicy, c.state.exitCode, c.restartCount);
}
