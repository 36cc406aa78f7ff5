// A container's seccomp filter, kept in its state directory: an exec runs under the filter
// of the container, and the runtime keeps no copy of the spec it was made from.
import fs from "node:fs";
import path from "node:path";
import { isErrno } from "../util/errors.js";
import type { Plan } from "./plan.js";
import type { SeccompFilter } from "./seccomp-compile.js";

const FILE = "seccomp.json";

/** Keeps the filter of PLAN, if it has one, in the state directory DIR. */
export function saveSeccomp(dir: string, plan: Plan): void {
  const step = plan.find((s) => s.op === "seccomp");
  if (step?.op !== "seccomp") return;
  const program = step.program.flatMap((i) => [i.code, i.jt, i.jf, i.k]);
  fs.writeFileSync(path.join(dir, FILE), JSON.stringify({ flags: step.flags, program }), { mode: 0o600 });
}

export function loadSeccomp(dir: string): SeccompFilter | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, FILE), "utf8");
  } catch (e) {
    if (isErrno(e, "ENOENT")) return undefined;
    throw e;
  }
  const { flags, program } = JSON.parse(text) as { flags: number; program: number[] };
  const insns = [];
  for (let i = 0; i < program.length; i += 4) insns.push({ code: program[i], jt: program[i + 1], jf: program[i + 2], k: program[i + 3] });
  return { flags, program: insns };
}
