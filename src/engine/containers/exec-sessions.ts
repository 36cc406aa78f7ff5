// docker's exec instances, for the API: made by one request (exec create), run by another
// (exec start), looked at by a third (exec inspect: the exit code). They live in the
// process that serves them, as dockerd keeps them in memory.
import { execFile } from "node:child_process";
import crypto from "node:crypto";
import { promisify } from "node:util";
import { isSameProcess, processStartTime, type ProcessHandle } from "../../runtime/index.js";
import { MydockerError } from "../../util/errors.js";
import { checkWorkdir } from "../container-factory.js";
import { checkExecTarget, type ExecRequest } from "./control.js";
import type { ContainerRecord } from "../container-store.js";

export interface ExecInstance {
  id: string;
  containerId: string;
  request: ExecRequest;
  running: boolean;
  exitCode: number | null;
  pid: number;
  started: boolean;
  /** Started with Detach: nobody here waits for it, its monitor records how it ended. */
  detached?: { startTime?: string };
}

/** How many finished instances are kept for inspection: the oldest go first. */
const KEPT_FINISHED = 1000;

export class ExecSessions {
  private readonly instances = new Map<string, ExecInstance>();

  constructor(
    private readonly resolve: (query: string) => ContainerRecord,
    private readonly run: (containerId: string, req: ExecRequest) => Promise<ProcessHandle>,
    /** A detached exec's exit code, once its monitor recorded it. */
    private readonly detachedExit: (containerId: string, execId: string) => number | undefined,
  ) {}

  create(query: string, request: ExecRequest): ExecInstance {
    if (request.cmd.length === 0) throw new MydockerError("EINVAL", "No exec command specified");
    // As dockerd: a relative working directory is refused at create, before any stream.
    checkWorkdir(request.workdir);
    const c = this.resolve(query);
    // As dockerd: a container that cannot take a process now is refused at create, not at start.
    checkExecTarget(c);
    const inst: ExecInstance = { id: crypto.randomBytes(32).toString("hex"), containerId: c.id, request, running: false, exitCode: null, pid: 0, started: false };
    this.instances.set(inst.id, inst);
    this.trim();
    return inst;
  }

  get(id: string): ExecInstance {
    const inst = this.instances.get(id);
    if (!inst) throw new MydockerError("ENOEXEC", `No such exec instance: ${id}`);
    if (inst.detached && inst.running) this.refreshDetached(inst);
    return inst;
  }

  /** A detached exec runs while its process does; then its exit code is the one its monitor recorded. */
  private refreshDetached(inst: ExecInstance): void {
    const startTime = inst.detached?.startTime;
    const exitCode = this.detachedExit(inst.containerId, inst.id);
    if (exitCode === undefined && startTime !== undefined && isSameProcess(inst.pid, startTime)) return;
    inst.running = false;
    inst.exitCode = exitCode ?? null;
  }

  /** Whether the instance can be started now: refused before a client's stream is taken over. */
  startable(id: string): ExecInstance {
    const inst = this.get(id);
    if (inst.started) throw new MydockerError("ERUNNING", `Exec command ${id} has already run`);
    checkExecTarget(this.resolve(inst.containerId));
    return inst;
  }

  /**
   * Runs the instance once; its exit code is recorded when the process ends. A process that
   * could not start ends the instance as dockerd's does: 127 when its command was not found,
   * else 126.
   */
  async start(id: string, detach: boolean): Promise<ProcessHandle> {
    const inst = this.startable(id);
    inst.started = true;
    const handle = await this.run(inst.containerId, { ...inst.request, id: inst.id, detach, pipe: !detach }).catch((e: unknown) => {
      inst.exitCode = e instanceof MydockerError && e.exitStatus === 127 ? 127 : 126;
      throw e;
    });
    inst.running = true;
    inst.pid = handle.pid;
    if (detach) inst.detached = { startTime: processStartTime(handle.pid) };
    else
      void handle.wait().then(
        (exit) => {
          inst.running = false;
          inst.exitCode = exit.exitCode;
        },
        () => {
          inst.running = false;
        },
      );
    return handle;
  }

  /**
   * docker exec's resize: the size of the terminal the process has as its stdin (the
   * shim's pty), set on that fd through the process's /proc entry, as stty sets it.
   */
  async resize(id: string, rows: number, cols: number): Promise<void> {
    const inst = this.get(id);
    if (!inst.request.tty) throw new MydockerError("ENOTTY", `exec ${id} has no terminal to resize: it was created without Tty`);
    if (!inst.running) throw new MydockerError("ENOTRUNNING", `exec ${id} is not running`);
    await promisify(execFile)("stty", ["-F", `/proc/${inst.pid}/fd/0`, "rows", String(rows), "cols", String(cols)]).catch((e: Error) => {
      throw new MydockerError("ERESIZE", `cannot resize the terminal of exec ${id}: ${e.message.trim()}`);
    });
  }

  private trim(): void {
    const finished = [...this.instances.values()].filter((i) => i.started && !i.running);
    for (const i of finished.slice(0, Math.max(0, finished.length - KEPT_FINISHED))) this.instances.delete(i.id);
  }
}
