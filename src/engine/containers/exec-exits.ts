// How detached execs ended. Nobody waits for a detached exec's process: its monitor writes
// the exit file and runs the engine's exit command, which records docker's exec_die, so the
// event is there whether or not the process that started the exec still runs.
import { hasDb } from "../../store/db.js";
import type { ContainerContext } from "./context.js";
import { containerEvent } from "../events/actors.js";
import { eventFilters } from "../events/filter.js";
import { parseRfc3339Nano } from "../timestamps.js";

export class ExecExits {
  constructor(private readonly ctx: ContainerContext) {}

  /** Run by the exec's monitor once the process ended (its exit command): the exec_die event. */
  exited(containerId: string, execId: string): void {
    // The root may have been removed meanwhile: no store is made where there was none.
    if (!hasDb(this.ctx.roots.root)) return;
    const c = this.ctx.containers.get(containerId);
    const exit = c && this.ctx.runtime.execExit(c.id, execId);
    if (!c || !exit) return;
    this.ctx.events.record(containerEvent(c, "exec_die", { execID: execId, exitCode: String(exit.exitCode) }), parseRfc3339Nano(exit.finishedAt));
  }

  /** The exit code of a detached exec that ended: its exit file, or (the container's state gone since) its exec_die event. */
  exitCode(containerId: string, execId: string): number | undefined {
    const exit = this.ctx.runtime.execExit(containerId, execId);
    if (exit) return exit.exitCode;
    const died = this.ctx.events.list({ filters: eventFilters({ type: ["container"], container: [containerId], event: ["exec_die"] }) });
    const ev = died.find((e) => e.Actor.Attributes.execID === execId);
    return ev ? Number(ev.Actor.Attributes.exitCode) : undefined;
  }
}
