// docker's `--flag=true|false` and `-x=value` forms, on a command shaped like run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Command } from "commander";
import { acceptDockerFlagSyntax } from "../../src/cli/flag-syntax.js";

function parse(args: string[]): { opts: Record<string, unknown>; operands: string[] } {
  const program = new Command("mydocker").enablePositionalOptions().exitOverride();
  let seen: { opts: Record<string, unknown>; operands: string[] } | undefined;
  program
    .command("run")
    .option("--rm")
    .option("-i, --interactive")
    .option("-d, --detach")
    .option("-m, --memory <bytes>")
    .option("--no-trunc")
    .option("--sig-proxy", "", true)
    .argument("<image>")
    .argument("[command...]")
    .passThroughOptions()
    .action((image: string, cmd: string[], opts: Record<string, unknown>) => void (seen = { opts, operands: [image, ...cmd] }));
  acceptDockerFlagSyntax(program);
  program.parse(["run", ...args], { from: "user" });
  return seen!;
}

test("every boolean takes =true and =false, long or short, and the last one wins", () => {
  const r = parse(["--rm=true", "-i=false", "--detach=false", "busybox", "true"]);
  assert.equal(r.opts.rm, true);
  assert.equal(r.opts.interactive, false);
  assert.equal(r.opts.detach, false);
  assert.equal(parse(["-d", "--detach=false", "busybox"]).opts.detach, false);
  assert.equal(parse(["--detach=0", "--detach=1", "busybox"]).opts.detach, true);
});

test("a boolean that defaults to true or is written negated takes =false too", () => {
  assert.equal(parse(["--sig-proxy=false", "x"]).opts.sigProxy, false);
  assert.equal(parse(["x"]).opts.sigProxy, true);
  assert.equal(parse(["--no-trunc=false", "x"]).opts.trunc, true);
  assert.equal(parse(["--no-trunc=true", "x"]).opts.trunc, false);
});

test("a short option takes its value after =, in a cluster the last letter takes the next argument", () => {
  assert.equal(parse(["-m=64m", "x"]).opts.memory, "64m");
  const r = parse(["-im", "32m", "--rm=true", "x"]);
  assert.deepEqual([r.opts.interactive, r.opts.memory, r.opts.rm], [true, "32m", true]);
});

test("the command's own arguments are left as they are, after the image or after --", () => {
  assert.deepEqual(parse(["--rm", "busybox", "echo", "--rm=false", "-i=false"]).operands, ["busybox", "echo", "--rm=false", "-i=false"]);
  assert.deepEqual(parse(["-m", "--rm=false", "busybox"]).opts.memory, "--rm=false");
});

test("a boolean given something else than true or false is refused naming the flag", () => {
  assert.throws(() => parse(["--rm=yes", "busybox"]), /invalid argument "yes" for "--rm" flag/);
});
