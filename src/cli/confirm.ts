// docker's prune prompt: the warning, then "[y/N]"; only y or yes (any case) goes ahead.
// -f skips it; an input that ends first is a no.

/** Whether to go ahead: force, or the user answered yes to WARNING (the question after it on a line of its own, or after SEP). */
export async function confirmed(force: boolean | undefined, warning: string, sep = "\n"): Promise<boolean> {
  if (force) return true;
  process.stdout.write(`${warning}${sep}Are you sure you want to continue? [y/N] `);
  let line = "";
  for await (const chunk of process.stdin) {
    line += String(chunk);
    if (line.includes("\n")) break;
  }
  return /^y(es)?$/i.test(line.split("\n", 1)[0]!.trim());
}
