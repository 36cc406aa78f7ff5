// docker build: the context and Dockerfile read, every stage the target needs built, and
// the target stored as an image with its names. Images made for steps on the way are
// removed at the end (the cache keeps their layers), whether the build worked or not.
import { normalizeReference } from "../image/index.js";
import { MydockerError } from "../util/errors.js";
import { loadContext } from "./context.js";
import { parseDockerfile, type Dockerfile } from "./dockerfile.js";
import { Session, stateOf } from "./session.js";
import { expandWord } from "./shell-words.js";
import { StageRunner } from "./stage.js";
import type { BuildEngine, BuildOptions, BuildResult } from "./types.js";

/** The ARGs before the first FROM, with their build-arg values: what FROM lines may use. */
function metaArgs(df: Dockerfile, buildArgs: Record<string, string>): Map<string, string> {
  const vars = new Map<string, string>();
  for (const ins of df.metaArgs) {
    for (const word of ins.args.trim().split(/\s+/).filter((w) => w !== "")) {
      const eq = word.indexOf("=");
      const name = eq < 0 ? word : word.slice(0, eq);
      const value = buildArgs[name] ?? (eq < 0 ? undefined : expandWord(word.slice(eq + 1), vars, df.escape));
      if (value !== undefined) vars.set(name, value);
    }
  }
  return vars;
}

function targetIndex(df: Dockerfile, runner: StageRunner, target: string | undefined): number {
  if (target === undefined) return df.stages.length - 1;
  const stage = runner.find(target);
  if (stage === undefined) throw new MydockerError("build_target", `failed to reach build target ${target} in Dockerfile`, 1);
  return stage.index;
}

export async function build(engine: BuildEngine, opts: BuildOptions): Promise<BuildResult> {
  if (opts.platform !== undefined && opts.platform !== "linux/amd64") {
    throw new MydockerError("build_platform", `--platform ${opts.platform}: only linux/amd64 is built`, 1);
  }
  // Bad names are refused before anything runs.
  const names = (opts.tags ?? []).map((t) => normalizeReference(t));
  return engine.images.withWorkDir(async (work) => {
    const session = new Session(engine, opts, work);
    let keep: string | undefined;
    try {
      const ctx = await loadContext(opts, work);
      const df = parseDockerfile(ctx.dockerfile, ctx.dockerfileName);
      const buildArgs = opts.buildArgs ?? {};
      const runner = new StageRunner(session, df, ctx.tree, metaArgs(df, buildArgs));
      for (const ins of df.metaArgs) for (const w of ins.args.trim().split(/\s+/)) runner.consumed.add(w.split("=", 1)[0]!);
      let state = await runner.stage(targetIndex(df, runner, opts.target));
      if (opts.labels !== undefined && Object.keys(opts.labels).length > 0) {
        const config = { ...state.config.config, Labels: { ...(state.config.config?.Labels ?? {}), ...opts.labels } };
        state = stateOf({ ...state.config, config });
      }
      if (state.id === "scratch") state = stateOf(state.config);
      const image = session.adopt(state, []);
      for (const n of names) engine.images.catalog.setName(n, image.id);
      keep = image.id;
      const unused = Object.keys(buildArgs).filter((a) => !runner.consumed.has(a) && !/^(HTTPS?|FTP|NO|ALL)_PROXY$/i.test(a));
      if (unused.length > 0) session.emit({ kind: "warning", message: `One or more build-args [${unused.join(" ")}] were not consumed` });
      return { image: engine.images.catalog.byId(image.id)!, names };
    } finally {
      session.cleanup(keep);
    }
  });
}
