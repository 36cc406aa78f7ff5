// RUN: the command runs in a container of the engine made from the step's parent image,
// with the build's variables in its environment and the build's network mode; the
// container's own layer is committed as the step's layer, and the container removed
// whatever happened.
import crypto from "node:crypto";
import type { Instruction } from "./dockerfile.js";
import { MydockerError } from "../util/errors.js";
import { BuildCache } from "./cache.js";
import { DefaultShell, commandOf } from "./config-steps.js";
import { BuildFailed, stateFromText, type ImageState, type Session } from "./session.js";

/** The command RUN runs: exec form, shell form, or a heredoc script. */
export function runCommand(ins: Instruction, shell: string[] | undefined): string[] {
  if (ins.heredocs.length === 0) return commandOf(ins, shell).argv;
  const sh = shell ?? DefaultShell;
  // RUN <<EOF alone: the heredoc is the script.
  if (ins.heredocs.length === 1 && /^<<-?["']?\w+["']?$/.test(ins.args.trim())) return [...sh, ins.heredocs[0]!.content];
  // Otherwise the shell gets the line with its heredocs, as written.
  return [...sh, [ins.args, ...ins.heredocs.map((h) => `${h.content}${h.name}`)].join("\n")];
}

/** docker's created_by for RUN: the build arguments it saw (|N K=V…), then the command. */
function createdBy(argv: string[], args: [string, string][]): string {
  const prefix = args.length > 0 ? `|${args.length} ${args.map(([k, v]) => `${k}=${v}`).join(" ")} ` : "";
  return `RUN ${prefix}${argv.join(" ")} # buildkit`;
}

export async function runStep(session: Session, state: ImageState, ins: Instruction, args: [string, string][], step: number): Promise<{ state: ImageState; cached: boolean }> {
  const argv = runCommand(ins, state.config.config?.Shell);
  for (const flag of ["mount", "security"]) {
    if (ins.flags.has(flag)) session.emit({ kind: "warning", message: `line ${ins.line}: RUN --${flag} is not supported: the step runs without it` });
  }
  const network = ins.flags.get("network") ?? session.opts.network;
  const key = BuildCache.key([state.id, "RUN", argv, args, network ?? ""]);
  const hit = session.recall(key);
  if (hit !== undefined) return { state: hit, cached: true };
  const { engine } = session;
  const parent = session.materialize(state);
  // ENV wins over ARG of the same name, as in docker.
  const envNames = new Set((state.config.config?.Env ?? []).map((e) => e.split("=", 1)[0]));
  // Named up front: a container whose start failed is removed as surely as one that ran.
  const name = `mydocker-build-${crypto.randomBytes(6).toString("hex")}`;
  let kill: (() => void) | undefined;
  try {
    const result = await engine.run(
      {
        image: parent.id,
        cmd: argv,
        entrypoint: [],
        env: args.filter(([k]) => !envNames.has(k)).map(([k, v]) => `${k}=${v}`),
        network,
        name,
        labels: { "mydocker.build": "step" },
      },
      {
        stdio: "pipe",
        stdin: false,
        onStart: (handle) => {
          // Whatever the build is stopped for, the container goes first.
          kill = () => handle.signal("SIGKILL");
          if (session.opts.signal?.aborted) kill();
          session.opts.signal?.addEventListener("abort", kill, { once: true });
          handle.output?.stdout.on("data", (data: Buffer) => session.emit({ kind: "output", step, stream: "stdout", data }));
          handle.output?.stderr.on("data", (data: Buffer) => session.emit({ kind: "output", step, stream: "stderr", data }));
        },
      },
    );
    session.opts.signal?.throwIfAborted();
    if (result.exitCode !== 0) {
      throw new BuildFailed(`process "${argv.join(" ")}" did not complete successfully: exit code: ${result.exitCode}`);
    }
    const image = await engine.commit(result.id, undefined, { createdBy: createdBy(argv, args), comment: "buildkit.dockerfile.v0" }, { pause: false });
    session.track(image.id);
    const next = stateFromText(engine.images.catalog.configText(image.id));
    session.remember(key, next);
    return { state: next, cached: false };
  } finally {
    if (kill !== undefined) session.opts.signal?.removeEventListener("abort", kill);
    await engine.remove(name, { force: true }).catch((e: unknown) => {
      if (!(e instanceof MydockerError && e.code === "ENOCONTAINER")) throw e;
    });
  }
}
