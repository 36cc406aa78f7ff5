// runc's --log and --log-format: where errors (and with --debug, debug lines) go. The
// runc shim of containerd reads the `msg` of the last "error" line of this file as the
// reason a command failed, so every failure is one such line.
import fs from "node:fs";

export type LogFormat = "text" | "json";
type Level = "error" | "warning" | "debug";

export class OciLog {
  constructor(
    private readonly file: string | undefined,
    private readonly format: LogFormat,
    readonly debugOn: boolean,
  ) {}

  error(msg: string): void {
    this.write("error", msg);
    // runc says it on stderr too, where conmon and people read it.
    writeFd(2, `${msg}\n`);
  }

  warn(msg: string): void {
    this.write("warning", msg);
  }

  debug(msg: string): void {
    if (this.debugOn) this.write("debug", msg);
  }

  private write(level: Level, msg: string): void {
    const time = new Date().toISOString();
    const line = this.format === "json" ? `${JSON.stringify({ level, msg, time })}\n` : `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
    if (this.file === undefined) {
      if (level !== "error") writeFd(2, line);
      return;
    }
    try {
      fs.appendFileSync(this.file, line, { mode: 0o600 });
    } catch {
      // A log that cannot be written must not hide the failure itself, which stderr carries.
    }
  }
}

/**
 * Synchronous writes on the raw descriptor: process.stdout would make a pipe the caller
 * shares with the container non-blocking under the container's feet.
 */
export function writeFd(fd: number, text: string): void {
  const buf = Buffer.from(text);
  for (let off = 0; off < buf.length; ) off += fs.writeSync(fd, buf, off);
}
