// Facts about host processes from /proc.
import fs from "node:fs";
import { pollUntil } from "../util/poll.js";
import type { FileReader } from "../util/prefetched-files.js";

/** The start time (clock ticks since boot) of pid, or undefined when it is gone or a zombie; read: where /proc/PID/stat's text comes from. */
export function processStartTime(pid: number, read?: FileReader): string | undefined {
  let stat: string | undefined;
  try {
    stat = read ? read(`/proc/${pid}/stat`) : fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  if (stat === undefined) return undefined;
  // The command name (field 2) may contain spaces and parentheses: split after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields[0] === "Z" || fields[0] === "X") return undefined;
  return fields[19];
}

/** Whether pid is still the process that started at startTime (not gone, not a reused pid). */
export function isSameProcess(pid: number, startTime: string, read?: FileReader): boolean {
  return processStartTime(pid, read) === startTime;
}

/** Waits until the process is gone (or the time is up); returns whether it is gone. */
export function waitGone(pid: number, startTime: string, timeoutMs: number): Promise<boolean> {
  return pollUntil(() => !isSameProcess(pid, startTime), timeoutMs);
}

let lastCapCache: number | undefined;

/** The highest capability number the running kernel knows. */
export function lastCap(): number {
  lastCapCache ??= Number(fs.readFileSync("/proc/sys/kernel/cap_last_cap", "utf8").trim());
  return lastCapCache;
}
