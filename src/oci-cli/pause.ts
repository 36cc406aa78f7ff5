// pause and resume: the container's cgroup frozen and thawed.
import type { Command } from "commander";
import type { OciContext } from "./context.js";
import { notRunning } from "./bundle.js";
import { stateOf } from "./state.js";

export function registerPause(program: Command, ctx: () => OciContext): void {
  program
    .command("pause <container-id>")
    .description("freeze every process of a container")
    .action(async (id: string) => {
      const c = ctx();
      if (stateOf(c, id).status !== "running") throw notRunning();
      await c.runtime().pause(id);
    });

  program
    .command("resume <container-id>")
    .description("thaw a paused container")
    .action(async (id: string) => {
      const c = ctx();
      const status = stateOf(c, id).status;
      if (status === "stopped") throw notRunning();
      await c.runtime().resume(id);
    });
}
