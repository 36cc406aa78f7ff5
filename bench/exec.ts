// Running external commands from the benchmarks, with failures that say which command and why.
import { spawn, spawnSync } from "node:child_process";

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runSync(argv: string[], env: NodeJS.ProcessEnv = process.env, input = ""): CommandResult {
  const r = spawnSync(argv[0], argv.slice(1), { env, input, encoding: "utf8", timeout: 120_000 });
  if (r.error) return { status: null, stdout: "", stderr: r.error.message };
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs argv and throws, with the last line it wrote to stderr, unless it exits 0. */
export function mustRun(argv: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = runSync(argv, env);
  if (r.status !== 0) throw new Error(`${argv.join(" ")}: ${whyFailed(r)}`);
  return r.stdout;
}

export function whyFailed(r: CommandResult): string {
  const last = r.stderr.trim().split("\n").pop();
  return last ? last : `exit status ${r.status}`;
}

/** Asynchronous run to exit, for running several containers at once. Output is discarded except stderr. */
export function runAsync(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { env, stdio: ["ignore", "ignore", "pipe"], timeout: 120_000 });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status, signal) => {
      if (status === 0) return resolve();
      const why = signal ? `killed by ${signal}` : whyFailed({ status, stdout: "", stderr });
      reject(new Error(`${argv.join(" ")}: ${why}`));
    });
  });
}

export function installed(cmd: string): boolean {
  return runSync([cmd, "--version"]).status === 0;
}

/** Runs task(0..count-1) with at most `concurrency` in flight; rejects with the first failure. */
export async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < count && !failed) {
      try {
        await task(next++);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
