// kill and delete, with runc's messages: containerd and conmon match them.
import type { Command } from "commander";
import { notExist, notRunning } from "./bundle.js";
import type { OciContext } from "./context.js";
import { stateOf } from "./state.js";

export function registerKill(program: Command, ctx: () => OciContext): void {
  program
    .command("kill <container-id> [signal]")
    .description("send a signal (name or number; default SIGTERM) to the container's init")
    .option("-a, --all", "to every process in the container")
    .action(async (id: string, signal: string | undefined, f: { all?: boolean }) => {
      const c = ctx();
      const st = stateOf(c, id);
      if (st.status === "stopped" || st.status === "creating") throw notRunning();
      await c.runtime().kill(id, signal ?? "SIGTERM", { all: f.all });
    });

  program
    .command("delete <container-id>")
    .alias("rm")
    .description("delete a stopped container (--force: kill it first)")
    .option("-f, --force", "kill a container that is not stopped; a missing one is no error")
    .action(async (id: string, f: { force?: boolean }) => {
      const c = ctx();
      const rt = c.runtime();
      if (!rt.exists(id)) {
        if (f.force) return;
        throw notExist();
      }
      // runc deletes a created container without --force: its process never ran.
      await rt.delete(id, { force: f.force || stateOf(c, id).status === "created" });
    });
}
