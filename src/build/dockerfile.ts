// A Dockerfile read into stages of instructions. dockerfile-ast (the parser VS Code's
// Docker tooling uses) does the lexing: parser directives (escape, syntax), comments,
// line continuations, flags and heredocs. This file turns its tree into plain records
// and refuses, with the line and the reason, what docker would refuse before running.
import { Add, Copy, DockerfileParser, Run, type Heredoc as AstHeredoc, type Instruction as AstInstruction } from "dockerfile-ast";
import { MydockerError } from "../util/errors.js";

export interface Heredoc {
  name: string;
  /** The body with its final newline, as docker hands it over. */
  content: string;
}

export interface Instruction {
  /** Upper case: RUN, COPY… */
  keyword: string;
  /** 1-based line of the instruction in the Dockerfile. */
  line: number;
  /** --name=value flags (a flag without a value is ""). */
  flags: Map<string, string>;
  /** The arguments after the flags, continuations joined; with heredocs, only the first line. */
  args: string;
  heredocs: Heredoc[];
  /** The instruction as written, for progress and errors ("RUN echo hi"). */
  text: string;
}

export interface Stage {
  index: number;
  /** The AS name, lower case, if any. */
  name?: string;
  from: Instruction;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM. */
  metaArgs: Instruction[];
  stages: Stage[];
  /** The escape character (the escape directive, default backslash). */
  escape: string;
}

const KNOWN = new Set([
  "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
  "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
]);

/** The flags each instruction accepts (docker refuses others before building). */
const FLAGS: Record<string, readonly string[]> = {
  FROM: ["platform"],
  RUN: ["network", "mount", "security"],
  COPY: ["from", "chown", "chmod", "link", "parents", "exclude"],
  ADD: ["chown", "chmod", "link", "checksum", "keep-git-dir", "exclude"],
  HEALTHCHECK: ["interval", "timeout", "start-period", "start-interval", "retries"],
};

export class DockerfileError extends MydockerError {
  constructor(file: string, line: number, reason: string) {
    super("dockerfile_parse", `${file}:${line}: ${reason}`, 1);
  }
}

function convert(ins: AstInstruction, file: string, text: string): Instruction {
  const keyword = ins.getKeyword().toUpperCase();
  const line = ins.getRange().start.line + 1;
  if (!KNOWN.has(keyword)) throw new DockerfileError(file, line, `unknown instruction: ${ins.getKeyword()}`);
  const flags = new Map<string, string>();
  const astFlags = "getFlags" in ins && typeof ins.getFlags === "function" ? (ins.getFlags() as { getName(): string; getValue(): string | null }[]) : [];
  for (const f of astFlags) {
    if (!(FLAGS[keyword] ?? []).includes(f.getName())) throw new DockerfileError(file, line, `unknown flag for ${keyword}: --${f.getName()}`);
    flags.set(f.getName(), f.getValue() ?? "");
  }
  const heredocs: Heredoc[] = [];
  // RUN, COPY and ADD make their heredocs public; the base class keeps the method protected.
  const withHeredocs = ins as unknown as { getHeredocs?: () => AstHeredoc[] };
  const astHeredocs = ins instanceof Run || ins instanceof Copy || ins instanceof Add ? (withHeredocs.getHeredocs?.() ?? []) : [];
  const lines = text.split("\n");
  for (const h of astHeredocs) {
    const r = h.getContentRange();
    if (r !== null && h.getDelimiterRange() === null) throw new DockerfileError(file, line, `unterminated heredoc <<${h.getName()}`);
    let body = r === null ? "" : lines.slice(r.start.line, r.end.line + 1).join("\n") + "\n";
    const start = h.getStartRange();
    // <<-NAME: the body's leading tabs go, as in a shell.
    if (lines[start.start.line]!.slice(start.start.character).startsWith("<<-")) body = body.replace(/^\t+/gm, "");
    heredocs.push({ name: h.getName(), content: body });
  }
  const content = ins.getArgumentsContent() ?? "";
  const args = heredocs.length > 0 ? content.split("\n")[0]! : content;
  if (args.trim() === "" && heredocs.length === 0 && keyword !== "ARG") {
    throw new DockerfileError(file, line, `${keyword} requires at least one argument`);
  }
  const shown = [...astFlags.map((f) => `--${f.getName()}${f.getValue() === null ? "" : `=${f.getValue()}`}`), args].join(" ");
  return { keyword, line, flags, args, heredocs, text: `${keyword} ${shown}`.trimEnd() };
}

/** Parses a Dockerfile's text; file names it in errors. Nothing is run or fetched. */
export function parseDockerfile(text: string, file = "Dockerfile"): Dockerfile {
  const df = DockerfileParser.parse(text);
  const result: Dockerfile = { metaArgs: [], stages: [], escape: df.getEscapeCharacter() };
  for (const ast of df.getInstructions()) {
    const ins = convert(ast, file, text);
    if (ins.keyword === "FROM") {
      const words = ins.args.trim().split(/\s+/);
      let name: string | undefined;
      if (words.length === 3 && words[1]!.toUpperCase() === "AS") name = words[2]!.toLowerCase();
      else if (words.length !== 1) throw new DockerfileError(file, ins.line, "FROM takes an image and optionally AS name");
      if (name !== undefined && !/^[a-z][a-z0-9._-]*$/.test(name)) throw new DockerfileError(file, ins.line, `invalid stage name "${name}"`);
      if (name !== undefined && result.stages.some((s) => s.name === name)) throw new DockerfileError(file, ins.line, `duplicate stage name "${name}"`);
      result.stages.push({ index: result.stages.length, name, from: ins, instructions: [] });
      continue;
    }
    const stage = result.stages[result.stages.length - 1];
    if (stage === undefined) {
      if (ins.keyword !== "ARG") throw new DockerfileError(file, ins.line, `no FROM before ${ins.keyword}: a Dockerfile starts with FROM (only ARG may come first)`);
      result.metaArgs.push(ins);
      continue;
    }
    if (ins.keyword === "ONBUILD") parseTrigger(ins, file);
    stage.instructions.push(ins);
  }
  if (result.stages.length === 0) throw new DockerfileError(file, 1, "the Dockerfile has no FROM instruction");
  return result;
}

/** The instruction an ONBUILD stores, checked now (docker refuses a bad trigger when it reads it). */
export function parseTrigger(ins: Instruction, file: string): Instruction {
  const df = DockerfileParser.parse(ins.args);
  const [inner] = df.getInstructions();
  if (inner === undefined) throw new DockerfileError(file, ins.line, "ONBUILD requires an instruction");
  const trigger = { ...convert(inner, file, ins.args), line: ins.line };
  if (["ONBUILD", "FROM", "MAINTAINER"].includes(trigger.keyword)) {
    throw new DockerfileError(file, ins.line, `${trigger.keyword} isn't allowed as an ONBUILD trigger`);
  }
  return trigger;
}
