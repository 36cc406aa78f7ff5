// Processes started in or over an existing container: exec, and helpers on its files.
import fs from "node:fs";
import type { Process } from "../spec/runtime.js";
import { MydockerError } from "../util/errors.js";
import { appArmorEnabled } from "./apparmor.js";
import { compileExec, compileHelperIn, compileHelperOver, type HelperProgram } from "./compile.js";
import { cgroupOf, readContainerState } from "./container-state.js";
import { launch } from "./launch.js";
import { bindSourceKind } from "./launch-container.js";
import type { Plan } from "./plan.js";
import { lastCap } from "./proc.js";
import type { RuntimeContext } from "./runtime-context.js";
import type { ExecOptions, HelperTarget, PipedProcess, ProcessHandle } from "./runtime-options.js";
import { loadSeccomp } from "./seccomp-state.js";
import type { Shim, ShimExit } from "./shim.js";
import { FORWARDED_SIGNALS, sendSignal, signalNumber } from "./signals.js";
import { StateDir } from "./state.js";
import { validateProcess, validateSpec } from "./validate.js";

/** The handle of a process its shim monitors. */
export function processHandle(shim: Shim, pid: number, wait: () => Promise<ShimExit>): ProcessHandle {
  // After the exit the pid may belong to someone else.
  const signal = (sig: string | number) => {
    if (!shim.hasExited) sendSignal(pid, signalNumber(sig));
  };
  return { pid, shimPid: shim.shimPid, wait, signal, release: () => shim.release() };
}

/** Starts another process in a running container. */
export async function execProcess(ctx: RuntimeContext, id: string, input: Process, opts: ExecOptions): Promise<ProcessHandle> {
  const st = readContainerState(ctx, id);
  if (st.status !== "running" || st.pid === undefined) {
    throw new MydockerError("bad-state", `container "${id}" is ${st.status}: exec needs a running container`);
  }
  // Joining none would run the process on the host: a state file without them is refused.
  if (!Array.isArray(st.namespaces)) throw new MydockerError("bad-state", `container "${id}": its state names no namespaces to join`);
  const proc = validateProcess(input);
  const sd = new StateDir(ctx.runRoot, id);
  const cgroup = cgroupOf(ctx, st);
  const attach = opts.attach;
  const plan = compileExec({ pid: st.pid, namespaces: st.namespaces, seccomp: loadSeccomp(sd.dir) }, proc, {
    lastCap: lastCap(),
    appArmor: proc.apparmorProfile ? appArmorEnabled() : undefined,
    cgroupJoin: cgroup?.selfJoinFiles(),
    cloneCgroup: cgroup?.cloneInto(),
    detach: (opts.detach && !opts.handoff) || attach !== undefined,
    attachSocket: attach?.socket,
    openStdin: attach && opts.stdin,
    sync: attach !== undefined,
    log: opts.logPath ? { path: opts.logPath, maxBytes: 0 } : undefined,
    forwardSignals: opts.detach || opts.handoff ? undefined : [...FORWARDED_SIGNALS],
    pidFile: opts.handoff?.pidFile,
    exitFile: opts.exitFile,
    exitCommand: opts.exitCommand,
    handoff: opts.handoff && { consoleSocket: opts.handoff.consoleSocket },
    preserveFds: opts.preserveFds,
  });
  const { shim, pid } = await launch({
    shimPath: ctx.shimPath,
    plan: () => plan,
    stdio: (opts.detach && !opts.handoff) || attach ? "ignore" : opts.pipe ? "pipe" : "inherit",
    launcher: opts.preserveFds ? undefined : await ctx.launcherFor(),
    extraFds: opts.preserveFds,
    stdin: opts.stdin,
    until: "exec",
    onPid: attach?.onPid,
    debug: ctx.debug,
  });
  if (opts.handoff) shim.releaseAtExit();
  else if (opts.detach) shim.release();
  const wait = opts.detach || opts.handoff
    ? () => Promise.reject(new MydockerError("detached", "a detached exec cannot be waited for"))
    : attach
      ? // The monitor leaves its socket behind; the container's own stays, an exec's goes with it.
        () => shim.exited.finally(() => fs.rmSync(attach.socket, { force: true }))
      : () => shim.exited;
  const handle = processHandle(shim, pid, wait);
  return opts.pipe && !opts.detach ? { ...handle, pipes: shim.pipes } : handle;
}

/**
 * Runs a static host program over a container's files with piped stdio (cp's tar): in
 * a running container's mount namespace, or over a stopped one's root and volumes
 * mounted in a namespace of its own. Nothing of it outlives the process.
 */
export async function runHelper(ctx: RuntimeContext, target: HelperTarget, h: HelperProgram): Promise<PipedProcess> {
  let plan: Plan;
  if ("id" in target) {
    const st = readContainerState(ctx, target.id);
    if ((st.status !== "running" && st.status !== "paused") || st.pid === undefined) {
      throw new MydockerError("bad-state", `container "${target.id}" is ${st.status}: it has no mount namespace to work in`);
    }
    plan = compileHelperIn(st.pid, h);
  } else {
    const spec = validateSpec(target.spec);
    const noPivot = target.noPivot ?? ctx.noPivot();
    plan = compileHelperOver(spec, { bundle: "/", rootfsMount: target.rootfsMount, noPivot, sourceKind: bindSourceKind }, h);
  }
  const { shim } = await launch({ shimPath: ctx.shimPath, plan: () => plan, stdio: "pipe", until: "exec", debug: ctx.debug });
  return { ...shim.pipes, wait: () => shim.exited };
}
