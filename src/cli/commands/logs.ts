// docker logs, and `start -a`'s view of a container's output.
import type { Engine } from "../../engine/engine.js";
import { containerLogs } from "../../engine/lifecycle.js";
import { formatLogLine, parseTail } from "../../engine/logs.js";
import { parseDockerTime } from "../../engine/timestamps.js";

export async function logsCommand(
  engine: Engine,
  name: string,
  f: { follow?: boolean; tail: string; timestamps?: boolean; since?: string; until?: string },
): Promise<void> {
  const entries = containerLogs(engine, name, {
    follow: f.follow,
    tail: parseTail(f.tail),
    since: f.since === undefined ? undefined : parseDockerTime(f.since),
    until: f.until === undefined ? undefined : parseDockerTime(f.until),
  });
  for await (const e of entries) {
    (e.stream === "stderr" ? process.stderr : process.stdout).write(formatLogLine(e, Boolean(f.timestamps)));
  }
}

export async function followLogsToExit(engine: Engine, id: string): Promise<void> {
  const { waitContainer } = await import("../../engine/lifecycle.js");
  for await (const e of containerLogs(engine, id, { follow: true })) {
    (e.stream === "stderr" ? process.stderr : process.stdout).write(e.text);
  }
  process.exitCode = await waitContainer(engine, id);
}
