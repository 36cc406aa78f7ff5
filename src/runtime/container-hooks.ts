// The OCI hooks that run in the container's namespaces (runtime-spec config.md "POSIX-platform
// Hooks"): createContainer after the container's mounts and before pivot_root, its path found
// in that view of the host's files; startContainer once started, before the user process, its
// path found in the container's root. Each runs through a shim of its own that joins the
// container's namespaces, with the state on stdin and the hook's timeout.
import type { Hook, Hooks, NamespaceType, Process, State } from "../spec/runtime.js";
import { MydockerError } from "../util/errors.js";
import { compileExec, compileHook } from "./compile.js";
import type { Plan } from "./plan.js";
import type { SeccompFilter } from "./seccomp-compile.js";
import { launch } from "./launch.js";

export interface HookTarget {
  shimPath: string;
  /** The container's init, whose namespaces the hook joins. */
  pid: number;
  namespaces: readonly NamespaceType[];
  /**
   * startContainer runs a file of the container's (its image's): as runc runs it, with the
   * container process's confinement (user, capabilities, no_new_privs, seccomp, cgroup).
   */
  confined?: { process: Process; lastCap: number; seccomp?: SeccompFilter; cgroupJoin?: string[] };
}

function hookPlan(t: HookTarget, point: keyof typeof where, hook: Hook): Plan {
  const target = { pid: t.pid, namespaces: t.namespaces };
  if (point === "createContainer" || !t.confined) return compileHook(target, hook, where[point]);
  const { process, lastCap, seccomp, cgroupJoin } = t.confined;
  const argv = hook.args?.length ? hook.args : [hook.path];
  // Exec'd by path in the container's root: argv[0] is the path.
  const proc: Process = { ...process, terminal: false, args: [hook.path, ...argv.slice(1)], env: hook.env ?? [], cwd: "/" };
  return compileExec({ ...target, seccomp }, proc, { lastCap, cgroupJoin });
}

const where = { createContainer: "host", startContainer: "container" } as const;

async function runHook(t: HookTarget, point: keyof typeof where, index: number, hook: Hook, state: State): Promise<void> {
  const name = `hooks.${point}[${index}] (${hook.path})`;
  let timer: NodeJS.Timeout | undefined;
  try {
    const plan = hookPlan(t, point, hook);
    const { shim } = await launch({ shimPath: t.shimPath, plan: () => plan, stdio: "pipe", until: "exec" });
    const { stdin, stdout, stderr } = shim.pipes;
    let said = "";
    stdout.resume();
    stderr.setEncoding("utf8");
    stderr.on("data", (d: string) => (said = (said + d).slice(-2000)));
    stdin.on("error", () => {}); // a hook that does not read its state is no error
    stdin.end(JSON.stringify(state));
    const late = new Promise<"late">((resolve) => {
      if (hook.timeout !== undefined) timer = setTimeout(() => resolve("late"), hook.timeout * 1000);
    });
    const exit = await Promise.race([shim.exited, late]);
    if (exit === "late") {
      shim.abort();
      throw new MydockerError("hook-failed", `${name}: timed out after ${hook.timeout} s`);
    }
    if (exit.exitCode !== 0) {
      const why = exit.signal ? `killed by signal ${exit.signal}` : `exit status ${exit.exitCode}`;
      throw new MydockerError("hook-failed", `${name}: ${why}${said.trim() ? `: ${said.trim()}` : ""}`);
    }
  } catch (e) {
    if (e instanceof MydockerError && e.code === "hook-failed") throw e;
    throw new MydockerError("hook-failed", `${name}: ${(e as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the hooks of point in order in the container's namespaces; the first failure is thrown. */
export async function runContainerHooks(t: HookTarget, hooks: Hooks | undefined, point: keyof typeof where, state: State): Promise<void> {
  const list = hooks?.[point] ?? [];
  for (let i = 0; i < list.length; i++) await runHook(t, point, i, list[i] as Hook, state);
}
