// mydocker build: flags to BuildOptions, progress to the terminal (plain lines, or a live
// view on a terminal), the image id at the end.
import { confirmed } from "../confirm.js";
import type { Command } from "commander";
import fs from "node:fs";
import path from "node:path";
import { PlainProgress } from "../../build/progress.js";
import type { BuildEvent } from "../../build/types.js";
import { familiarName } from "../../image/index.js";
import { MydockerError } from "../../util/errors.js";
import { BuildCache } from "../../build/cache.js";
import { TerminalView } from "../build-view.js";
import type { Context } from "../context.js";
import { collect } from "../flags.js";
import { abortOnSignals } from "../interrupt.js";
import { humanSize } from "../format.js";
import { writeUserFile } from "../output-file.js";

interface BuildFlags {
  tag: string[];
  file?: string;
  buildArg: string[];
  target?: string;
  cache: boolean;
  pull?: boolean;
  label: string[];
  network?: string;
  progress: string;
  quiet?: boolean;
  iidfile?: string;
  platform?: string;
}

/** K=V pairs; a bare K takes its value from the caller's environment (dropped when unset), as docker does. */
function pairs(list: string[], flag: string, fromEnv: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf("=");
    if (eq === 0) throw new MydockerError("EINVAL", `invalid ${flag} "${item}": give KEY=VALUE`);
    if (eq > 0) out[item.slice(0, eq)] = item.slice(eq + 1);
    else if (fromEnv && process.env[item] !== undefined) out[item] = process.env[item]!;
    else if (!fromEnv) out[item] = "";
  }
  return out;
}

function progressSink(mode: string, quiet: boolean): { handle(e: BuildEvent): void; stop(): void; plain?: PlainProgress } {
  if (quiet || mode === "quiet") return { handle: () => {}, stop: () => {} };
  if (mode === "plain" || (mode === "auto" && !process.stderr.isTTY)) {
    const plain = new PlainProgress((s) => process.stderr.write(s));
    return { handle: (e) => plain.handle(e), stop: () => {}, plain };
  }
  if (mode !== "auto" && mode !== "tty") throw new MydockerError("EINVAL", `--progress ${mode}: give auto, plain, tty or quiet`);
  const view = new TerminalView(process.stderr);
  return { handle: (e) => view.handle(e), stop: () => view.stop() };
}

export function registerBuild(program: Command, ctx: Context): void {
  program
    .command("build")
    .description("Build an image from a Dockerfile")
    .argument("<context>", "a directory, or - for a tar stream of one on stdin")
    .option("-t, --tag <name>", "name and optionally a tag (name:tag)", collect, [])
    .option("-f, --file <path>", "the Dockerfile (default CONTEXT/Dockerfile; - reads it from stdin)")
    .option("--build-arg <k=v>", "set a build-time variable", collect, [])
    .option("--target <stage>", "the build stage to stop at")
    .option("--no-cache", "do not use the cache when building the image")
    .option("--pull", "always pull the base images")
    .option("--label <k=v>", "set metadata for the image", collect, [])
    .option("--network <mode>", "the network mode of RUN instructions")
    .option("--progress <mode>", "auto, plain, tty or quiet", "auto")
    .option("-q, --quiet", "print only the image id")
    .option("--iidfile <file>", "write the image id to the file")
    .option("--platform <platform>", "the platform to build for (linux/amd64)")
    .action(async (context: string, f: BuildFlags) => {
      if (context === "-" && f.file === "-") throw new MydockerError("EINVAL", "the context and the Dockerfile cannot both come from stdin");
      const fromStdin = f.file === "-";
      const sink = progressSink(f.progress, Boolean(f.quiet));
      const engine = await ctx.engine();
      const interrupt = abortOnSignals();
      let result;
      try {
        result = await engine.build({
          context: context === "-" ? process.stdin : context,
          // With the context on stdin, -f names a file in it, as docker's CLI takes it.
          dockerfile: fromStdin || f.file === undefined ? undefined : context === "-" ? f.file : path.resolve(f.file),
          dockerfileText: fromStdin ? fs.readFileSync(0, "utf8") : undefined,
          tags: f.tag,
          buildArgs: pairs(f.buildArg, "--build-arg", true),
          target: f.target,
          noCache: !f.cache,
          pull: f.pull,
          labels: pairs(f.label, "--label", false),
          network: f.network,
          platform: f.platform,
          onProgress: (e) => sink.handle(e),
          signal: interrupt.signal,
        });
      } finally {
        interrupt.stop();
        sink.stop();
      }
      sink.plain?.finish(result.image.id, result.names);
      if (f.iidfile !== undefined) await writeUserFile(f.iidfile, async (out) => void out.write(result.image.id));
      if (f.quiet) process.stdout.write(`${result.image.id}\n`);
      else if (sink.plain === undefined && f.progress !== "quiet") {
        for (const n of result.names) process.stderr.write(`Successfully tagged ${familiarName(n)}\n`);
      }
    });

  program
    .command("builder")
    .description("Manage builds")
    .command("prune")
    .description("Remove the build cache")
    .option("-f, --force", "do not prompt for confirmation")
    .option("-a, --all", "remove all build cache (there is only one kind)")
    .action(async (f: { force?: boolean }) => {
      if (!(await confirmed(f.force, "WARNING! This will remove all dangling build cache.", " "))) return;
      const e = await ctx.engine();
      const r = new BuildCache(e.images).prune();
      process.stdout.write(`Deleted build cache objects: ${r.entries}\nTotal reclaimed space: ${humanSize(r.reclaimed)}\n`);
    });
}
