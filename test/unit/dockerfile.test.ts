// Dockerfile parsing (over dockerfile-ast) and docker's word rules: continuations, the
// escape directive, heredocs, flags, exec and shell forms, substitution; refusals with
// the line and the reason.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseDockerfile } from "../../src/build/dockerfile.js";
import { expandWord, expandWords, keyValues } from "../../src/build/shell-words.js";
import { runCommand } from "../../src/build/run-step.js";
import { applyConfigStep } from "../../src/build/config-steps.js";
import { globToRegExp } from "../../src/build/source-tree.js";

test("stages, meta ARGs, flags, continuations and heredocs", () => {
  const df = parseDockerfile(
    ["# syntax=docker/dockerfile:1", "ARG V=1", "FROM busybox:${V} AS Build", "RUN echo a \\", "  b", "COPY --chown=1:2 --from=x a /b/", "RUN <<EOF", "echo one", "echo two", "EOF", "FROM scratch"].join("\n"),
  );
  assert.equal(df.metaArgs.length, 1);
  assert.equal(df.stages.length, 2);
  assert.equal(df.stages[0]!.name, "build");
  const [run, copy, heredoc] = df.stages[0]!.instructions;
  assert.equal(run!.args, "echo a   b");
  assert.equal(run!.line, 4);
  assert.deepEqual([...copy!.flags], [["chown", "1:2"], ["from", "x"]]);
  assert.equal(copy!.args, "a /b/");
  assert.deepEqual(heredoc!.heredocs, [{ name: "EOF", content: "echo one\necho two\n" }]);
  assert.deepEqual(runCommand(heredoc!, undefined), ["/bin/sh", "-c", "echo one\necho two\n"]);
});

test("<<-NAME strips the body's leading tabs", () => {
  const [run] = parseDockerfile("FROM b\nRUN <<-EOF\n\techo hi\n\t\tdeeper\n\tEOF\n").stages[0]!.instructions;
  assert.deepEqual(run!.heredocs, [{ name: "EOF", content: "echo hi\ndeeper\n" }]);
});

test("the escape directive changes the continuation character", () => {
  const df = parseDockerfile("# escape=`\nFROM busybox\nRUN echo a `\n  b\n");
  assert.equal(df.escape, "`");
  assert.equal(df.stages[0]!.instructions[0]!.args, "echo a   b");
});

test("refusals name the file, the line and the reason", () => {
  assert.throws(() => parseDockerfile("FROM busybox\nBOGUS x\n", "my.Dockerfile"), /my\.Dockerfile:2: unknown instruction: BOGUS/);
  assert.throws(() => parseDockerfile("RUN true\n"), /Dockerfile:1: no FROM before RUN/);
  assert.throws(() => parseDockerfile("FROM busybox\nCOPY --nope a b\n"), /Dockerfile:2: unknown flag for COPY: --nope/);
  assert.throws(() => parseDockerfile("FROM a AS x\nFROM b AS x\n"), /Dockerfile:2: duplicate stage name "x"/);
  assert.throws(() => parseDockerfile("FROM busybox\nONBUILD FROM x\n"), /FROM isn't allowed as an ONBUILD trigger/);
  assert.throws(() => parseDockerfile("# just a comment\n"), /no FROM instruction/);
});

test("substitution: $V, ${V}, defaults, alternatives, quotes and escapes", () => {
  const vars = new Map([["A", "x y"], ["E", ""]]);
  assert.equal(expandWord("$A-${A}", vars), "x y-x y");
  assert.equal(expandWord("${E:-d} ${E-d} ${U:-d} ${A:+alt} ${E:+alt} ${E+set}", vars), "d  d alt  set");
  assert.equal(expandWord("'$A' \"$A\" \\$A", vars), "$A x y $A");
  assert.deepEqual(expandWords('one "two words" ${A}', vars), ["one", "two words", "x y"]);
  assert.throws(() => expandWord("${U:?needed}", vars), /U: needed/);
  assert.deepEqual(keyValues('K="a b" L=${A} M=', vars, "\\", true), [["K", "a b"], ["L", "x y"], ["M", ""]]);
  assert.deepEqual(keyValues("K the rest", vars, "\\", true), [["K", "the rest"]]);
});

test("config instructions: CMD and ENTRYPOINT forms, SHELL, EXPOSE, HEALTHCHECK, ENTRYPOINT dropping the base CMD", () => {
  const [cmd, shell, cmd2, expose, health, entry] = parseDockerfile(
    'FROM b\nCMD echo hi\nSHELL ["/bin/bash", "-c"]\nCMD ["a", "b"]\nEXPOSE 80 53/udp\nHEALTHCHECK --interval=1m30s --retries=2 CMD curl -f x\nENTRYPOINT ["/e"]\n',
  ).stages[0]!.instructions;
  const scope = { vars: new Map<string, string>(), escape: "\\", cmdSet: false };
  assert.deepEqual(applyConfigStep(cmd!, {}, scope).config.Cmd, ["/bin/sh", "-c", "echo hi"]);
  assert.deepEqual(applyConfigStep(shell!, {}, scope).config.Shell, ["/bin/bash", "-c"]);
  assert.deepEqual(applyConfigStep(cmd2!, {}, scope).config.Cmd, ["a", "b"]);
  assert.deepEqual(applyConfigStep(expose!, {}, scope).config.ExposedPorts, { "80/tcp": {}, "53/udp": {} });
  assert.deepEqual(applyConfigStep(health!, {}, scope).config.Healthcheck, { Test: ["CMD-SHELL", "curl -f x"], Interval: 90e9, Retries: 2 });
  const fresh = { vars: new Map<string, string>(), escape: "\\", cmdSet: false };
  assert.equal(applyConfigStep(entry!, { Cmd: ["base"] }, fresh).config.Cmd, null);
  assert.deepEqual(applyConfigStep(entry!, { Cmd: ["mine"] }, { ...fresh, cmdSet: true }).config.Cmd, ["mine"]);
});

test("COPY globs match like Go's filepath.Match: one component, dot files too", () => {
  assert.ok(globToRegExp("src/*.ts").test("src/a.ts"));
  assert.ok(globToRegExp("*").test(".hidden"));
  assert.ok(!globToRegExp("src/*").test("src/a/b"));
  assert.ok(globToRegExp("f[0-9]?").test("f1x"));
});
