// Operations in flight, each with the process that carries it out. A command killed half
// way (kill -9, a closed terminal) leaves its row behind with a dead owner; the next command
// finishes or undoes that one operation. Recovery so costs one read of a table that is
// empty when nothing crashed, however many containers exist: no command walks them all
// to find what another left.
import type { Db } from "../store/db.js";
import { processStartTime } from "../runtime/index.js";

/**
 * start: a container's process made and not yet let go (it waits on its exec FIFO);
 * run: a foreground run, whose caller records its end and applies --rm;
 * remove: the runtime released, the files and the record not yet removed;
 * freeze: a running container frozen while commit or export read its files.
 */
export type PendingKind = "start" | "run" | "remove" | "freeze";

export interface PendingOp {
  id: string;
  kind: PendingKind;
  pid: number;
  startTime: string;
}

let ownStartTime: string | undefined;

export class PendingOps {
  constructor(private readonly db: Db) {}

  /** Marks the container's operation as this process's until done(). */
  begin(id: string, kind: PendingKind): void {
    ownStartTime ??= processStartTime(process.pid) ?? "";
    this.db.prepare("INSERT OR REPLACE INTO pending_ops (id, kind, pid, start_time) VALUES (?, ?, ?, ?)").run(id, kind, process.pid, ownStartTime);
  }

  done(id: string, kind: PendingKind): void {
    this.db.prepare("DELETE FROM pending_ops WHERE id = ? AND kind = ? AND pid = ?").run(id, kind, process.pid);
  }

  /** Operations whose owner is gone: what a killed command left. */
  orphaned(): PendingOp[] {
    const rows = this.db.prepare("SELECT id, kind, pid, start_time AS startTime FROM pending_ops").all() as PendingOp[];
    return rows.filter((op) => processStartTime(op.pid) !== op.startTime);
  }

  /** Forgets an orphan once it is dealt with. */
  settled(op: PendingOp): void {
    this.db.prepare("DELETE FROM pending_ops WHERE id = ? AND kind = ? AND pid = ? AND start_time = ?").run(op.id, op.kind, op.pid, op.startTime);
  }
}
