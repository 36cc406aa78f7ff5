// exec: another process in a running container, from --process FILE or from the
// container's own process with runc's flags over it.
import type { Command } from "commander";
import fs from "node:fs";
import type { Process } from "../spec/runtime.js";
import { MydockerError } from "../util/errors.js";
import { absolute, readBundleSpec } from "./bundle.js";
import { preservedFdCount } from "./fds.js";
import type { OciContext } from "./context.js";
import { forwardSignals } from "./signals.js";
import { stateOf } from "./state.js";

interface ExecFlags {
  process?: string;
  detach?: boolean;
  tty?: boolean;
  consoleSocket?: string;
  pidFile?: string;
  cwd?: string;
  env: string[];
  user?: string;
  additionalGids: string[];
  cap: string[];
  noNewPrivs?: boolean;
  preserveFds: string;
}

const collect = (v: string, all: string[]): string[] => [...all, v];

function parseId(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new MydockerError("invalid-flag", `invalid ${what} "${text}": a number`);
  return Number(text);
}

function processFromFlags(base: Process, args: string[], f: ExecFlags): Process {
  if (args.length === 0) throw new MydockerError("invalid-flag", "exec needs a command (arguments after the container id) or --process FILE");
  const p: Process = { ...base, args, terminal: f.tty ?? false, env: [...(base.env ?? []), ...f.env] };
  if (f.cwd) p.cwd = f.cwd;
  if (f.user) {
    const [uid = "", gid] = f.user.split(":");
    p.user = { uid: parseId(uid, "uid"), gid: gid === undefined ? 0 : parseId(gid, "gid") };
  }
  if (f.additionalGids.length) p.user = { ...p.user, additionalGids: f.additionalGids.map((g) => parseId(g, "gid")) };
  if (f.cap.length && p.capabilities) {
    const add = (set: string[] | undefined) => [...new Set([...(set ?? []), ...f.cap])];
    const c = p.capabilities;
    p.capabilities = { ...c, bounding: add(c.bounding), effective: add(c.effective), permitted: add(c.permitted), ambient: add(c.ambient) };
  }
  if (f.noNewPrivs) p.noNewPrivileges = true;
  return p;
}

export function registerExec(program: Command, ctx: () => OciContext): void {
  program
    .command("exec <container-id> [command...]")
    .description("run another process in a running container")
    // What follows the container id is the command's own (sh -c ...), not ours.
    .passThroughOptions()
    .option("-p, --process <file>", "the process as an OCI process JSON (- for stdin)")
    .option("-d, --detach", "leave the process to the caller")
    .option("-t, --tty", "give the process a pty")
    .option("--console-socket <path>", "a unix socket that receives the pty master")
    .option("--pid-file <file>", "write the process's pid here")
    .option("--cwd <dir>", "working directory")
    .option("-e, --env <NAME=VALUE>", "an environment variable (repeatable)", collect, [])
    .option("-u, --user <uid[:gid]>", "user")
    .option("-g, --additional-gids <gid>", "an additional group (repeatable)", collect, [])
    .option("-c, --cap <cap>", "add a capability (repeatable)", collect, [])
    .option("--no-new-privs", "set no_new_privs")
    .option("--preserve-fds <n>", "pass this many fds past stdio on to the process", "0")
    .action(async (id: string, args: string[], f: ExecFlags) => {
      const c = ctx();
      const preserveFds = preservedFdCount(f.preserveFds);
      const st = stateOf(c, id);
      let proc: Process;
      if (f.process) {
        proc = JSON.parse(fs.readFileSync(f.process === "-" ? 0 : f.process, "utf8")) as Process;
      } else {
        const base = readBundleSpec(st.bundle).process;
        if (!base) throw new MydockerError("invalid-spec", `${st.bundle}/config.json has no process to start from`);
        proc = processFromFlags(base, args, f);
      }
      if (proc.terminal && f.detach && !f.consoleSocket) {
        throw new MydockerError("invalid-flag", "cannot allocate tty if myrunc will detach without setting console socket");
      }
      const consoleSocket = absolute(f.consoleSocket);
      const pidFile = absolute(f.pidFile);
      const handle = await c.runtime().exec(id, proc, f.detach ? { handoff: { pidFile, consoleSocket }, preserveFds } : { stdin: true, preserveFds });
      if (f.detach) return;
      if (pidFile) fs.writeFileSync(pidFile, String(handle.pid));
      const stop = forwardSignals(handle);
      const exit = await handle.wait();
      stop();
      process.exitCode = exit.exitCode;
    });
}
