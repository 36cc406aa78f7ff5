// OCI hooks (runtime-spec config.md "POSIX-platform Hooks") that run in the runtime's
// namespace: prestart and createRuntime once the container's mounts are made, before its
// root switch (its init waits), poststart after start, poststop after delete. Each gets the
// container's state on stdin and its timeout. Those in the container's namespaces
// (createContainer, startContainer) are container-hooks.ts.
import { spawn } from "node:child_process";
import type { Hook, Hooks, State } from "../spec/runtime.js";
import { MydockerError } from "../util/errors.js";

export type HookPoint = "prestart" | "createRuntime" | "poststart" | "poststop";

function envObject(env: readonly string[] | undefined): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const entry of env ?? []) {
    const eq = entry.indexOf("=");
    if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

function runHook(point: HookPoint, index: number, hook: Hook, state: State): Promise<void> {
  const name = `hooks.${point}[${index}] (${hook.path})`;
  return new Promise((resolve, reject) => {
    // args[0] is the program's argv[0], as execv takes it; the environment is the hook's alone.
    const [argv0 = hook.path, ...rest] = hook.args ?? [];
    const child = spawn(hook.path, rest, { argv0, env: envObject(hook.env), stdio: ["pipe", "ignore", "pipe"], cwd: "/" });
    let stderr = "";
    let timer: NodeJS.Timeout | undefined;
    if (hook.timeout !== undefined) {
      timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new MydockerError("hook-failed", `${name}: timed out after ${hook.timeout} s`));
      }, hook.timeout * 1000);
    }
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => (stderr = (stderr + d).slice(-2000)));
    child.stdin.on("error", () => {}); // a hook that does not read its state is no error
    child.stdin.end(JSON.stringify(state));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new MydockerError("hook-failed", `${name}: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new MydockerError("hook-failed", `${name}: ${signal ? `killed by ${signal}` : `exit status ${code}`}${stderr.trim() ? `: ${stderr.trim()}` : ""}`));
    });
  });
}

/** Runs the hooks of point in order; the first failure is thrown. */
export async function runHooks(hooks: Hooks | undefined, point: HookPoint, state: State): Promise<void> {
  const list = hooks?.[point] ?? [];
  for (let i = 0; i < list.length; i++) await runHook(point, i, list[i] as Hook, state);
}

/** The OCI state document a hook reads on stdin. */
export function hookState(s: { ociVersion: string; id: string; bundle: string; annotations?: Record<string, string> }, status: State["status"], pid?: number): State {
  return { ociVersion: s.ociVersion, id: s.id, status, ...(pid !== undefined ? { pid } : {}), bundle: s.bundle, annotations: s.annotations ?? {} };
}
