// create, start, run: runc's contract for bringing a container up.
import type { Command } from "commander";
import fs from "node:fs";
import { MydockerError } from "../util/errors.js";
import { absolute, readBundleSpec } from "./bundle.js";
import { preservedFdCount } from "./fds.js";
import type { OciContext } from "./context.js";
import { forwardSignals } from "./signals.js";

interface CreateFlags {
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  pivot: boolean;
  newKeyring: boolean;
  preserveFds: string;
  detach?: boolean;
}

function createOptions(cmd: Command): Command {
  return cmd
    .option("-b, --bundle <dir>", "the bundle: config.json and the root filesystem", ".")
    .option("--pid-file <file>", "write the container process's pid here")
    .option("--console-socket <path>", "a unix socket that receives the pty master (process.terminal)")
    .option("--no-pivot", "chroot instead of pivot_root (a rootfs on a ramfs)")
    .option("--no-new-keyring", "accepted for runc's callers: the process always gets a session keyring of its own")
    .option("--preserve-fds <n>", "pass this many fds past stdio on to the container", "0");
}

async function create(ctx: OciContext, id: string, f: CreateFlags): Promise<void> {
  const bundle = absolute(f.bundle) as string;
  await ctx.runtime().create(id, readBundleSpec(bundle), {
    bundle,
    noPivot: f.pivot ? undefined : true,
    preserveFds: preservedFdCount(f.preserveFds),
    handoff: { pidFile: absolute(f.pidFile), consoleSocket: absolute(f.consoleSocket) },
  });
}

export function registerLifecycle(program: Command, ctx: () => OciContext): void {
  createOptions(program.command("create <container-id>").description("create a container (start runs its process)")).action(
    async (id: string, f: CreateFlags) => create(ctx(), id, f),
  );

  program
    .command("start <container-id>")
    .description("run the process of a created container")
    .action(async (id: string) => ctx().runtime().start(id));

  createOptions(program.command("run <container-id>").description("create and start a container; without -d, wait for it and exit with its status"))
    .option("-d, --detach", "leave the container running in the background")
    .action(async (id: string, f: CreateFlags) => {
      const c = ctx();
      if (f.detach) {
        await create(c, id, f);
        await c.runtime().start(id);
        return;
      }
      if (f.consoleSocket) throw new MydockerError("invalid-flag", "--console-socket is for a detached container (-d): a foreground one uses this terminal");
      const bundle = absolute(f.bundle) as string;
      const handle = await c.runtime().run(id, readBundleSpec(bundle), {
        bundle,
        stdio: "inherit",
        noPivot: f.pivot ? undefined : true,
        preserveFds: preservedFdCount(f.preserveFds),
      });
      if (f.pidFile) fs.writeFileSync(f.pidFile, String(handle.pid));
      const stop = forwardSignals(handle);
      const exit = await handle.wait();
      stop();
      process.exitCode = exit.exitCode;
    });
}
