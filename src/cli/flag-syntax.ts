// docker's flag syntax on top of commander's: every boolean takes `=true|false`
// (`--rm=false`, `-i=true`, `--no-trunc=false`) and a short option its value after `=`
// (`-m=64m`), as Go's pflag accepts them. Applied once to every command of the tree.
import { Command, Option } from "commander";
import { FlagError } from "../util/errors.js";

const TRUE = new Set(["true", "1", "t", "T", "TRUE", "True"]);
const FALSE = new Set(["false", "0", "f", "F", "FALSE", "False"]);

function findOption(cmd: Command, flag: string): Option | undefined {
  return cmd.options.find((o) => o.short === flag || o.long === flag);
}

/** The flag that sets an option's attribute the other way: `--no-x` for `--x`, `--x` for `--no-x`. */
function opposite(o: Option): string {
  return o.negate ? o.long!.replace(/^--no-/, "--") : o.long!.replace(/^--/, "--no-");
}

/** A boolean's flag for a value given after "=", or an error naming the flag. */
function booleanFlag(o: Option, written: string, value: string): string {
  const on = TRUE.has(value) ? true : FALSE.has(value) ? false : undefined;
  if (on === undefined) throw new FlagError("EINVAL", `invalid argument "${value}" for "${written}" flag: use true or false`);
  return on ? o.long! : opposite(o);
}

/** A cluster of short flags (`-itm`) whose last letter is an option that takes the next argument. */
function takesNextArg(cmd: Command, arg: string): boolean {
  if (!/^-[^-]{2,}$/.test(arg)) return false;
  for (let j = 1; j < arg.length; j++) {
    const o = findOption(cmd, `-${arg[j]}`);
    if (!o) return false;
    if (o.required) return j === arg.length - 1;
  }
  return false;
}

/** args rewritten to commander's own forms, up to where cmd stops reading options. */
export function rewriteFlags(cmd: Command, args: readonly string[]): string[] {
  const out: string[] = [];
  const stopsAtOperand = (cmd as unknown as { _passThroughOptions: boolean; _enablePositionalOptions: boolean });
  const stop = stopsAtOperand._passThroughOptions || (stopsAtOperand._enablePositionalOptions && cmd.commands.length > 0);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") return [...out, ...args.slice(i)];
    const eq = arg.indexOf("=");
    const m = /^(--[^=]+|-[^-=])=(.*)$/s.exec(arg);
    const o = m ? findOption(cmd, m[1]!) : eq < 0 ? findOption(cmd, arg) : undefined;
    if (m && o) {
      if (o.required || o.optional) out.push(o.long ?? o.short!, m[2]!);
      else out.push(booleanFlag(o, m[1]!, m[2]!));
      continue;
    }
    out.push(arg);
    if (o?.required || (!o && takesNextArg(cmd, arg))) {
      if (i + 1 < args.length) out.push(args[++i]!);
      continue;
    }
    if (stop && !arg.startsWith("-")) return [...out, ...args.slice(i + 1)];
  }
  return out;
}

/**
 * Gives every boolean of every command its hidden opposite (so that `=false` has a flag to
 * become) and makes each command read its arguments through rewriteFlags.
 */
export function acceptDockerFlagSyntax(cmd: Command): void {
  for (const o of [...cmd.options]) {
    if (o.required || o.optional || !o.long) continue;
    if (!findOption(cmd, opposite(o))) cmd.addOption(new Option(opposite(o)).hideHelp());
  }
  const parse = cmd.parseOptions.bind(cmd);
  cmd.parseOptions = (args: string[]) => parse(rewriteFlags(cmd, args));
  for (const sub of cmd.commands) acceptDockerFlagSyntax(sub);
}
