// docker's management commands over the top-level ones: `container rm` is `rm`, `image tag`
// is `tag`, `container inspect` is `inspect --type container`. The command line is read
// as its top-level form when the management command has no subcommand of that name.
import type { Command } from "commander";

const SAME: Record<string, readonly string[]> = {
  container: ["attach", "commit", "cp", "create", "exec", "export", "kill", "logs", "pause", "port", "rename", "restart", "rm", "run", "start", "stats", "stop", "top", "unpause", "update", "wait"],
  image: ["build", "import", "load", "pull", "push", "save", "tag"],
};

/** Global options of the program that take a value (their value is not a command). */
const VALUED = new Set(["--root", "--runroot"]);

export function resolveAliases(program: Command, argv: readonly string[]): string[] {
  let i = 2;
  while (i < argv.length && argv[i]!.startsWith("-")) i += VALUED.has(argv[i]!) ? 2 : 1;
  const group = argv[i];
  const sub = argv[i + 1];
  if (group === undefined || sub === undefined || !(group in SAME)) return [...argv];
  const own = program.commands.find((c) => c.name() === group)?.commands.some((c) => c.name() === sub || c.aliases().includes(sub));
  if (own) return [...argv];
  if (SAME[group]!.includes(sub) && program.commands.some((c) => c.name() === sub)) return [...argv.slice(0, i), ...argv.slice(i + 1)];
  if (sub === "inspect") return [...argv.slice(0, i), "inspect", "--type", group, ...argv.slice(i + 2)];
  return [...argv];
}
