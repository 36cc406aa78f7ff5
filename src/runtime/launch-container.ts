// create, start and run's first half: state directory, cgroup, plan, shim.
import fs from "node:fs";
import path from "node:path";
import type { Cgroup } from "../cgroups/types.js";
import type { Process, Spec } from "../spec/runtime.js";
import { MydockerError } from "../util/errors.js";
import { mknodat, openDir } from "../util/fsat.js";
import { appArmorEnabled } from "./apparmor.js";
import { compile } from "./compile.js";
import { runContainerHooks } from "./container-hooks.js";
import { cgroupOf, readContainerState } from "./container-state.js";
import { cgroupResources } from "./device-rules.js";
import { prepareHealth } from "./health-state.js";
import { hookState, runHooks } from "./hooks.js";
import { adoptJoinedMaps, chownToContainerRoot, joinedUserNamespace, newUserNamespace, writeIdMaps } from "./id-maps.js";
import { launch } from "./launch.js";
import { writeLifecyclePlans } from "./lifecycle-plan.js";
import { isSameProcess, lastCap, processStartTime } from "./proc.js";
import type { RuntimeContext } from "./runtime-context.js";
import type { RuntimeCreateOptions } from "./runtime-options.js";
import { compileCached, keepSeccomp, loadSeccomp } from "./seccomp-state.js";
import type { Shim } from "./shim.js";
import { FORWARDED_SIGNALS, sendSignal } from "./signals.js";
import { StateDir, type StateRecord } from "./state.js";
import { validateSpec } from "./validate.js";

/** How often start checks that the process it releases is still there. */
const START_WATCH_MS = 100;

/** What a bind mount's target is made as: a file for a file, else a directory. */
export function bindSourceKind(p: string): "file" | "dir" {
  return fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() === false ? "file" : "dir";
}

/** create and run: state directory, cgroup, plan, shim; on failure nothing is left behind. */
export async function launchContainer(
  ctx: RuntimeContext,
  id: string,
  input: Spec,
  opts: RuntimeCreateOptions & { stdio?: "inherit" | "ignore" | "pipe"; stdin?: boolean },
  mode: "create" | "run",
): Promise<{ shim: Shim; pid: number }> {
  const spec = validateSpec(input);
  const bundle = path.resolve(opts.bundle ?? ".");
  const rootfs = path.resolve(bundle, spec.root?.path ?? "rootfs");
  const sd = new StateDir(ctx.runRoot, id);
  sd.create();
  let cgroup: Cgroup | undefined;
  try {
    const seccomp = spec.linux?.seccomp ? compileCached(ctx.runRoot, spec.linux.seccomp) : undefined;
    const cgroupPath = ctx.cgroups ? (spec.linux?.cgroupsPath ?? `mydocker/${id}`) : null;
    const handoff = opts.handoff;
    if (handoff && (opts.logPath || opts.attach || opts.restart || opts.exitCommand || opts.publish?.length)) {
      throw new MydockerError("invalid-options", "a container handed off to its caller has no monitor for a log, attach, restarts, published ports or an exit command");
    }
    const detached = !handoff && (mode === "create" || opts.stdio === "ignore");
    const restart = opts.restart && mode === "create" ? { ...opts.restart, runsFile: sd.runsFile } : undefined;
    const record: StateRecord = {
      ociVersion: spec.ociVersion,
      id,
      status: "creating",
      bundle,
      ...(spec.annotations ? { annotations: spec.annotations } : {}),
      created: new Date().toISOString(),
      cgroupPath,
      rootfs,
      namespaces: (spec.linux?.namespaces ?? []).map((n) => n.type),
      ...(restart ? { monitorRestarts: true } : {}),
      ...(keptHooks(spec) ? { hooks: keptHooks(spec) } : {}),
      ...(spec.hooks?.startContainer?.length ? { process: spec.process } : {}),
    };
    // A child in a user namespace (its own, or one the shim joined) may not write the host's
    // cgroup files: it is put in its cgroup from here, and its id maps written (or a joined
    // namespace's checked), while it waits.
    const userns = newUserNamespace(spec);
    const inUserns = userns || joinedUserNamespace(spec) !== undefined;
    const onPid = inUserns
      ? async (pid: number) => {
          cgroup?.addProcess(pid);
          if (userns) writeIdMaps(pid, spec);
          else adoptJoinedMaps(pid, spec, mode === "create" ? sd.execFifo : undefined);
          await opts.onPid?.(pid);
        }
      : opts.onPid;
    // The init waits (hookpause) for the hooks due after its mounts, before its root switch;
    // a run, which has no start, also for startContainer, before its process.
    const hookPauses = {
      create: (["prestart", "createRuntime", "createContainer"] as const).some((p) => spec.hooks?.[p]?.length),
      start: mode === "run" && !!spec.hooks?.startContainer?.length,
    };
    const onHooks = async (pid: number, pause: number) => {
      const confined = { process: spec.process as Process, lastCap: lastCap(), seccomp: seccomp?.filter, cgroupJoin: cgroup?.selfJoinFiles() };
      const target = { shimPath: ctx.shimPath, pid, namespaces: record.namespaces, confined };
      if (hookPauses.create && pause === 0) {
        const state = hookState(record, "creating", pid);
        await runHooks(spec.hooks, "prestart", state);
        await runHooks(spec.hooks, "createRuntime", state);
        await runContainerHooks(target, spec.hooks, "createContainer", state);
      } else {
        await runContainerHooks(target, spec.hooks, "startContainer", hookState(record, "created", pid));
      }
    };
    const launched = await launch({
      shimPath: ctx.shimPath,
      // The shim runs first and waits for its plan. The state file is written then, once,
      // before anything needs undoing (the cgroup): while "creating", a live shim is what
      // tells this container from the debris of a crash (a shim whose caller died before
      // it had its plan reads the end of the socket and exits). Once more when the
      // process runs: each write of a state file costs a new inode.
      plan: (shimPid) => {
        Object.assign(record, { shimPid, shimStartTime: processStartTime(shimPid) });
        sd.writeState(record);
        if (mode === "create") makeFifo(sd.execFifo);
        if (mode === "create" && userns) chownToContainerRoot(sd.execFifo, spec.linux);
        if (ctx.cgroups && cgroupPath !== null) cgroup = ctx.cgroups.create(cgroupPath, cgroupResources(spec));
        const joins = { lastCap: lastCap(), cgroupJoin: inUserns ? undefined : cgroup?.selfJoinFiles(), cloneCgroup: inUserns ? undefined : cgroup?.cloneInto() };
        const check = opts.health && prepareHealth(sd, ctx.shimPath, opts.health, { namespaces: record.namespaces ?? [], seccomp: seccomp?.filter }, joins);
        const plan = compile(spec, {
          bundle,
          seccomp: seccomp?.filter,
          lastCap: joins.lastCap,
          appArmor: spec.process?.apparmorProfile ? appArmorEnabled() : undefined,
          rootfsMount: opts.rootfsMount,
          noPivot: opts.noPivot ?? ctx.noPivot(),
          cgroupHierarchies: cgroup?.hierarchies(),
          sourceKind: bindSourceKind,
          execFifo: mode === "create" ? sd.execFifo : undefined,
          detach: detached,
          log: opts.logPath ? { path: opts.logPath, maxBytes: opts.logMaxBytes ?? 0, maxFiles: opts.logMaxFiles } : undefined,
          // Only a monitor that restarts the process has a pid the caller does not hear of.
          pidFile: restart ? sd.pidFile : handoff?.pidFile,
          exitFile: handoff ? undefined : sd.exitFile,
          exitCommand: opts.exitCommand,
          forwardSignals: detached || handoff ? undefined : [...FORWARDED_SIGNALS],
          handoff: handoff && { consoleSocket: handoff.consoleSocket },
          preserveFds: opts.preserveFds,
          attachSocket: opts.attach ? sd.attachSocket : undefined,
          openStdin: opts.attach && opts.openStdin,
          restart,
          cgroupJoin: joins.cgroupJoin,
          cloneCgroup: joins.cloneCgroup,
          health: check,
          publish: opts.publish,
          sync: onPid !== undefined,
          hookPauses: hookPauses.create || hookPauses.start ? hookPauses : undefined,
        });
        if (seccomp) keepSeccomp(sd.dir, seccomp.file);
        return plan;
      },
      stdio: detached ? "ignore" : (opts.stdio ?? "inherit"),
      // The launcher's shims have the launcher's fds, not ours to pass on.
      launcher: opts.preserveFds ? undefined : await ctx.launcherFor(),
      vfork: ctx.vforkShims,
      extraFds: opts.preserveFds,
      stdin: opts.stdin,
      until: mode === "create" ? "ready" : "exec",
      // The child moves itself into the cgroup first thing (cgroupjoin); then the caller's setup.
      onPid,
      onHooks,
      debug: ctx.debug,
    });
    const { shim, pid } = launched;
    const pidStartTime = processStartTime(pid);
    const created = { ...record, status: mode === "create" ? ("created" as const) : ("running" as const), pid, pidStartTime };
    sd.writeState(created);
    if (handoff && mode === "create" && pidStartTime) writeLifecyclePlans(sd, { ...created, pidStartTime }, cgroup);
    // A handed-off shim ends at once: reaped here, it is no zombie for the caller's reaper.
    if (handoff) await shim.exited;
    else if (mode === "create") shim.release();
    return launched;
  } catch (e) {
    await cgroup?.destroy();
    sd.remove();
    throw e;
  }
}

/** OCI start: lets a created container exec its process. */
export async function startCreated(ctx: RuntimeContext, id: string): Promise<void> {
  const sd = new StateDir(ctx.runRoot, id);
  const st = readContainerState(ctx, id);
  const diedFirst = () => new MydockerError("bad-state", `container "${id}": its process ended before it was started`);
  if (st.status !== "created") {
    // Only a start removes the exec FIFO: a stopped container that still has it never started.
    if (st.status === "stopped" && fs.existsSync(sd.execFifo)) throw diedFirst();
    throw new MydockerError("bad-state", `container "${id}" is ${st.status}: only a created container can be started`);
  }
  if (st.hooks?.startContainer?.length && st.pid !== undefined) {
    // In the container, before its process: a failure stops the container (runtime-spec).
    const confined = st.process && { process: st.process, lastCap: lastCap(), seccomp: loadSeccomp(sd.dir), cgroupJoin: cgroupOf(ctx, st)?.selfJoinFiles() };
    await runContainerHooks({ shimPath: ctx.shimPath, pid: st.pid, namespaces: st.namespaces, confined }, st.hooks, "startContainer", hookState(st, "created", st.pid)).catch((e: Error) => {
      sendSignal(st.pid as number, 9);
      throw e;
    });
  }
  // Our open returns once the child opened the write side; it then writes one byte, which
  // must be read before we close (else its write fails) and which says it is going to exec.
  // A child that died first would leave the open blocked for good: a watchdog then opens
  // the write side itself, and no byte comes.
  const watchdog = setInterval(() => {
    if (st.pid !== undefined && st.pidStartTime && isSameProcess(st.pid, st.pidStartTime)) return;
    try {
      fs.closeSync(fs.openSync(sd.execFifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    } catch {
      // Not open for reading yet (ENXIO): the next round.
    }
  }, START_WATCH_MS);
  let got = 0;
  try {
    const fifo = await fs.promises.open(sd.execFifo, fs.constants.O_RDONLY);
    try {
      got = (await fifo.read(Buffer.alloc(1), 0, 1)).bytesRead;
    } finally {
      await fifo.close();
    }
  } finally {
    clearInterval(watchdog);
  }
  if (got !== 1) throw diedFirst();
  fs.rmSync(sd.execFifo, { force: true });
  // The state file keeps "created": a live process without its FIFO is running (statusOf),
  // as after bin/myrunc's start plan. Written again, it would cost a new inode.
  await runPoststart(ctx, { ...st, status: "running" });
}

/** poststart: a failure is logged, the container runs on (runtime-spec). */
export async function runPoststart(ctx: RuntimeContext, rec: StateRecord): Promise<void> {
  await runHooks(rec.hooks, "poststart", hookState(rec, "running", rec.pid)).catch((e: Error) => ctx.warn(e.message));
}

const S_IFIFO = 0o010000;

function makeFifo(file: string): void {
  // Node has no mkfifo(3): mknodat through the native addon, in the container's own state
  // directory (a run of the mkfifo program cost a process per container start).
  const dir = openDir(path.dirname(file));
  try {
    mknodat(dir, path.basename(file), S_IFIFO | 0o600, 0, 0);
  } catch (e) {
    throw new MydockerError("fifo", `mkfifo ${file}: ${(e as Error).message}`);
  } finally {
    fs.closeSync(dir);
  }
}

/** The hooks start and delete run, kept in the state. */
function keptHooks(spec: Spec): StateRecord["hooks"] | undefined {
  const { startContainer, poststart, poststop } = spec.hooks ?? {};
  return startContainer || poststart || poststop ? { startContainer, poststart, poststop } : undefined;
}
