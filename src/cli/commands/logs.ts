// docker logs.
import { once } from "node:events";
import type { Engine } from "../../engine/engine.js";
import { formatLogLine, parseTail } from "../../engine/logs.js";
import { parseDockerTime } from "../../engine/timestamps.js";

export async function logsCommand(
  engine: Engine,
  name: string,
  f: { follow?: boolean; tail: string; timestamps?: boolean; details?: boolean; since?: string; until?: string },
): Promise<void> {
  const entries = engine.logs(name, {
    follow: f.follow,
    tail: parseTail(f.tail),
    since: f.since === undefined ? undefined : parseDockerTime(f.since),
    until: f.until === undefined ? undefined : parseDockerTime(f.until),
  });
  for await (const e of entries) {
    const out = e.stream === "stderr" ? process.stderr : process.stdout;
    // A slow reader (a pipe) holds the log back rather than the log piling up in memory.
    if (!out.write(formatLogLine(e, Boolean(f.timestamps), f.details ? "" : undefined))) await once(out, "drain");
  }
}
