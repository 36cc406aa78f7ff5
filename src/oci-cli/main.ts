// myrunc: runc's command line over the runtime (src/runtime/). Callers — containerd's
// runc shim, conmon — pass the global flags first, then the command. A failure is one
// line on stderr and one error line in --log, and exit status 1, as runc's.
import { Command, CommanderError } from "commander";
import { OciContext, DEFAULT_ROOT, type GlobalOptions } from "./context.js";
import { registerEvents } from "./events.js";
import { registerExec } from "./exec.js";
import { registerInfo } from "./info.js";
import { registerKill } from "./kill.js";
import { registerLifecycle } from "./lifecycle.js";
import { OciLog, writeFd } from "./log.js";
import { registerPause } from "./pause.js";
import { registerPs } from "./ps.js";
import { registerState } from "./state.js";
import { registerUpdate } from "./update.js";
import { undoFrontEnv } from "../util/front-env.js";

const VERSION = "myrunc version 0.1.0\nspec: 1.1.0";

/**
 * The command line, ready to parse one argv (the runner is for one use: commander keeps
 * what it parsed). Made apart from the parse so that myrunc's startup snapshot holds it
 * made (src/oci-cli/snapshot.ts).
 */
export function commandLine(): (argv: string[]) => Promise<void> {
  const program = new Command("myrunc");
  program
    .description("an OCI runtime with runc's command line")
    .version(VERSION, "-v, --version")
    .option("--root <dir>", "where container state lives", DEFAULT_ROOT)
    .option("--log <file>", "append log lines here (default: stderr)")
    .option("--log-format <format>", "text or json", "text")
    .option("--debug", "log debug lines too")
    .option("--systemd-cgroup", "manage cgroups through systemd (not supported)")
    .enablePositionalOptions()
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => writeFd(1, s), writeErr: () => {} });

  let context: OciContext | undefined;
  const ctx = (): OciContext => (context ??= new OciContext(program.opts<GlobalOptions>()));
  registerLifecycle(program, ctx);
  registerState(program, ctx);
  registerKill(program, ctx);
  registerExec(program, ctx);
  registerPs(program, ctx);
  registerPause(program, ctx);
  registerUpdate(program, ctx);
  registerEvents(program, ctx);
  registerInfo(program);
  for (const cmd of program.commands) cmd.exitOverride().configureOutput({ writeOut: (s) => writeFd(1, s), writeErr: () => {} });
  return (argv) => {
    undoFrontEnv();
    return parse(program, ctx, argv);
  };
}

export async function main(argv: string[]): Promise<void> {
  await commandLine()(argv);
}

async function parse(program: Command, ctx: () => OciContext, argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError && ["commander.helpDisplayed", "commander.version", "commander.help"].includes(e.code)) return;
    const msg = e instanceof CommanderError ? e.message.replace(/^error: /, "") : ((e as Error)?.message ?? String(e));
    let log: OciLog;
    try {
      log = ctx().log;
    } catch {
      // The flags that make the log are themselves wrong: stderr only.
      log = new OciLog(undefined, "text", false);
    }
    log.error(msg);
    if (log.debugOn && e instanceof Error && e.stack) writeFd(2, `${e.stack}\n`);
    process.exitCode = 1;
  }
}
