// The mydocker command line: parse flags, call the engine, print. No logic lives here.
import { Command, CommanderError } from "commander";
import { commandStatus, fail, requireRoot, type GlobalFlags } from "./output.js";
import type { Context } from "./context.js";
import type { Engine } from "../engine/engine.js";
import { registerRun } from "./commands/run.js";
import { registerContainers } from "./commands/containers.js";
import { registerResources } from "./commands/resources.js";
import { registerImages } from "./commands/images.js";
import { registerRegistry } from "./commands/registry.js";
import { registerVolumes } from "./commands/volumes.js";
import { acceptDockerFlagSyntax } from "./flag-syntax.js";
import { resolveAliases } from "./aliases.js";
import { CLOSED_STATUS, outputClosed, watchOutputs } from "./output-closed.js";
import { registerSystem } from "./commands/system.js";
import { registerBuild } from "./commands/build.js";
import { registerNetwork } from "./commands/network.js";
import { registerServe } from "./commands/serve.js";
import { undoFrontEnv } from "../util/front-env.js";

export async function main(argv: string[]): Promise<void> {
  await commandLine()(argv);
}

/**
 * The command line, ready to parse one argv (the runner is for one use: commander keeps
 * what it parsed). Made apart from the parse so that mydocker's startup snapshot holds it
 * made (src/cli/snapshot.ts): nothing here may read the environment, the terminal or the
 * clock; the runner does.
 */
export function commandLine(): (argv: string[]) => Promise<void> {
  const program = new Command("mydocker");
  program
    .description("A container engine: namespaces, cgroups, overlayfs, with docker's command line")
    .version("0.1.0", "-v, --version")
    .option("-D, --debug", "show debug output and stack traces")
    .option("--root <dir>", "engine root (env MYDOCKER_ROOT)")
    .option("--runroot <dir>", "runtime state root (env MYDOCKER_RUNROOT)")
    .enablePositionalOptions()
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith("error: ") ? `mydocker: ${s.slice(7)}` : s) });

  let engine: Engine | undefined;
  const flags = (): GlobalFlags => {
    const o = program.opts<{ debug?: boolean; root?: string; runroot?: string }>();
    return { debug: Boolean(o.debug), root: o.root, runroot: o.runroot };
  };
  const ctx: Context = {
    flags,
    async engine(opts = { sweep: true }) {
      if (!engine) {
        requireRoot();
        const { Engine } = await import("../engine/engine.js");
        const f = flags();
        engine = new Engine({
          root: f.root,
          runRoot: f.runroot,
          debug: f.debug ? (m) => process.stderr.write(`debug: ${m}\n`) : undefined,
          notice: (m) => process.stderr.write(m + "\n"),
          launcher: opts.launcher ?? false,
          vforkShims: opts.launcher !== true,
        });
        // What a killed command left half done is finished or undone first.
        if (opts.sweep) await engine.recover();
      }
      return engine;
    },
  };

  registerRun(program, ctx);
  registerContainers(program, ctx);
  registerResources(program, ctx);
  registerImages(program, ctx);
  registerRegistry(program, ctx);
  registerVolumes(program, ctx);
  registerSystem(program, ctx);
  registerBuild(program, ctx);
  registerNetwork(program, ctx);
  registerServe(program, ctx);
  for (const cmd of program.commands) cmd.exitOverride();
  acceptDockerFlagSyntax(program);

  let active: Command | undefined;
  program.hook("preAction", (_program, actionCommand) => {
    active = actionCommand;
  });

  return async (argv) => {
    undoFrontEnv();
    watchOutputs();
    let status = 0;
    try {
      await program.parseAsync(resolveAliases(program, argv));
    } catch (e) {
      if (e instanceof CommanderError) {
        status = commanderStatus(e.code);
      } else {
        status = outputClosed() ? CLOSED_STATUS : commandStatus(e, fail(e, flags().debug), active);
      }
    } finally {
      engine?.close();
    }
    process.exitCode = status;
  };
}

/**
 * As docker's: a flag it cannot parse is 125 (cli.FlagErrorFunc's StatusError), a wrong count
 * of arguments or an unknown command 1 (cli/required.go's plain errors).
 */
function commanderStatus(code: string): number {
  if (code === "commander.helpDisplayed" || code === "commander.version" || code === "commander.help") return 0;
  if (code === "commander.missingArgument" || code === "commander.excessArguments" || code === "commander.unknownCommand") return 1;
  return 125;
}
