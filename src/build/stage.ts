// One stage of a Dockerfile, step by step: FROM (an image, scratch or an earlier stage,
// whose ONBUILD triggers run first), ARG scoping, RUN, COPY/ADD and the config-only
// instructions, each looked up in the cache before it runs. Stages are built once each,
// when first needed; the ones a stage copies from start as soon as it does, in parallel.
import type { Instruction, Dockerfile, Stage } from "./dockerfile.js";
import { parseTrigger } from "./dockerfile.js";
import { applyConfigStep, type StepScope } from "./config-steps.js";
import { BuildCache } from "./cache.js";
import { copyStep, type CopySource } from "./copy-step.js";
import { runStep } from "./run-step.js";
import { BuildFailed, nextConfig, scratch, stateFromText, stateOf, type ImageState, type Session } from "./session.js";
import { expandWord, keyValues, type Vars } from "./shell-words.js";
import type { SourceTree } from "./source-tree.js";
import { layerDirsOf } from "./copy-step.js";
import { normalizeReference } from "../image/index.js";

/** An image reference as docker's progress shows it (docker.io/library/busybox:latest); an id as given. */
function displayName(ref: string): string {
  try {
    return normalizeReference(ref);
  } catch {
    return ref;
  }
}

/** Build arguments every stage sees without declaring them, kept out of history and cache keys (docker's proxy variables). */
const PROXY_ARGS = ["HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY"].flatMap((n) => [n, n.toLowerCase()]);

export class StageRunner {
  private readonly results = new Map<number, Promise<ImageState>>();
  /** Build arguments some ARG declared (the rest are warned about). */
  readonly consumed = new Set<string>();

  constructor(
    private readonly session: Session,
    private readonly df: Dockerfile,
    private readonly context: SourceTree,
    private readonly metaArgs: Map<string, string>,
  ) {}

  /** The stage by name (case-insensitive) or index, as FROM and COPY --from name them. */
  find(ref: string): Stage | undefined {
    const lower = ref.toLowerCase();
    const named = this.df.stages.find((s) => s.name === lower);
    if (named !== undefined) return named;
    return /^\d+$/.test(ref) ? this.df.stages[Number(ref)] : undefined;
  }

  /** The stage's result, built once however many ask. */
  stage(index: number): Promise<ImageState> {
    let result = this.results.get(index);
    if (result === undefined) {
      result = this.build(this.df.stages[index]!);
      this.results.set(index, result);
      // Awaited by whoever needs it; a failure is reported there.
      result.catch(() => undefined);
    }
    return result;
  }

  private label(stage: Stage, k: number, n: number): string {
    const name = this.df.stages.length > 1 ? `${stage.name ?? `stage-${stage.index}`} ` : "";
    return `[${name}${k}/${n}]`;
  }

  private async from(stage: Stage, name: string): Promise<ImageState> {
    const { session } = this;
    const ref = expandWord(stage.from.args.trim().split(/\s+/)[0]!, this.metaArgs, this.df.escape);
    const platform = stage.from.flags.get("platform");
    if (platform !== undefined && platform !== "linux/amd64" && platform !== "$BUILDPLATFORM" && platform !== "$TARGETPLATFORM") {
      throw new BuildFailed(`line ${stage.from.line}: only linux/amd64 is built, not ${platform}`);
    }
    const earlier = this.find(ref);
    if (earlier !== undefined && earlier.index < stage.index) return this.stage(earlier.index);
    const step = session.begin(`${name} FROM ${ref === "scratch" ? ref : displayName(ref)}`);
    return session.timed(step, async () => {
      if (ref === "scratch") return scratch;
      const { images } = session.engine;
      const image = session.opts.pull ? await images.pull(ref) : await session.engine.ensureImage(ref);
      return stateFromText(images.catalog.configText(image.id));
    });
  }

  /** Starts the stages this one copies from, so that independent ones build side by side. */
  private startDependencies(stage: Stage): void {
    for (const ins of stage.instructions) {
      const from = ins.flags.get("from");
      const dep = from !== undefined && !from.includes("$") ? this.find(from) : undefined;
      if (dep !== undefined && dep.index < stage.index) void this.stage(dep.index);
    }
  }

  private async build(stage: Stage): Promise<ImageState> {
    this.startDependencies(stage);
    const counted = stage.instructions.filter((i) => i.keyword !== "ARG");
    const total = counted.length + 1;
    let state = await this.from(stage, this.label(stage, 1, total));
    const triggers = (state.config.config?.OnBuild ?? []).map((t) => parseTrigger({ ...stage.from, args: t }, "ONBUILD"));
    if (triggers.length > 0) state = stateOf({ ...state.config, config: { ...state.config.config, OnBuild: null } });
    const args = new Map<string, string>();
    const scope: StepScope = { vars: new Map(), escape: this.df.escape, cmdSet: false };
    let k = 1;
    for (const ins of [...triggers, ...stage.instructions]) {
      scope.vars = this.vars(state, args);
      if (ins.keyword === "ARG") {
        this.declare(ins, args, scope.vars);
        continue;
      }
      const n = triggers.includes(ins) ? k : ++k;
      state = await this.step(stage, ins, state, args, scope, this.label(stage, n, total));
    }
    return state;
  }

  /** ENV over ARG, as docker expands words. */
  private vars(state: ImageState, args: Map<string, string>): Vars {
    const vars = new Map(args);
    for (const e of state.config.config?.Env ?? []) {
      const eq = e.indexOf("=");
      vars.set(eq < 0 ? e : e.slice(0, eq), eq < 0 ? "" : e.slice(eq + 1));
    }
    return vars;
  }

  private declare(ins: Instruction, args: Map<string, string>, vars: Vars): void {
    const build = this.session.opts.buildArgs ?? {};
    for (const word of ins.args.trim() === "" ? [] : ins.args.trim().split(/\s+/)) {
      const eq = word.indexOf("=");
      const name = eq < 0 ? word : word.slice(0, eq);
      const fallback = eq < 0 ? this.metaArgs.get(name) : keyValues(word, vars, this.df.escape, false)[0]![1];
      this.consumed.add(name);
      const value = build[name] ?? fallback;
      if (value !== undefined) args.set(name, value);
    }
  }

  private async step(stage: Stage, ins: Instruction, state: ImageState, args: Map<string, string>, scope: StepScope, label: string): Promise<ImageState> {
    const { session } = this;
    // The stage copied from is waited for before this step counts as started.
    const source = ins.keyword === "COPY" || ins.keyword === "ADD" ? await this.copySource(stage, ins, scope.vars) : undefined;
    const step = session.begin(`${label} ${ins.text}`);
    const r = await session.timed(step, async () => {
      switch (ins.keyword) {
        case "RUN":
          return runStep(session, state, ins, [...args, ...this.proxyArgs()], step);
        case "COPY":
        case "ADD":
          return copyStep(session, state, ins, scope.vars, this.df.escape, source!);
        default:
          return this.configStep(state, ins, scope);
      }
    });
    return r.state;
  }

  private proxyArgs(): [string, string][] {
    const build = this.session.opts.buildArgs ?? {};
    return PROXY_ARGS.filter((n) => build[n] !== undefined).map((n) => [n, build[n]!]);
  }

  private configStep(state: ImageState, ins: Instruction, scope: StepScope): { state: ImageState; cached: boolean } {
    const change = applyConfigStep(ins, state.config.config ?? {}, scope);
    const key = BuildCache.key([state.id, ins.keyword, change.createdBy, change.config, change.author ?? ""]);
    const hit = this.session.recall(key);
    if (hit !== undefined) return { state: hit, cached: true };
    const next = stateOf(nextConfig(state.config, change.createdBy, change));
    this.session.remember(key, next);
    return { state: next, cached: false };
  }

  private async copySource(stage: Stage, ins: Instruction, vars: Vars): Promise<CopySource> {
    const raw = ins.flags.get("from");
    if (raw === undefined) return { tree: this.context, id: "context" };
    const from = expandWord(raw, vars, this.df.escape);
    const dep = this.find(from);
    let state: ImageState;
    if (dep !== undefined) {
      if (dep.index >= stage.index) throw new BuildFailed(`line ${ins.line}: COPY --from=${from} names this stage or a later one`);
      state = await this.stage(dep.index);
    } else {
      const image = await this.session.engine.ensureImage(from);
      state = stateFromText(this.session.engine.images.catalog.configText(image.id));
    }
    return { tree: { dirs: layerDirsOf(this.session, state) }, id: state.id };
  }
}
