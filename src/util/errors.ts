// Errors carry a stable code for programs and a message for people.
// exitStatus follows docker: 125 engine error, 126 cannot execute, 127 not found. The command
// line turns an engine error's 125 into the status docker's CLI gives for that command (1 for
// all but run); a FlagError stays 125 everywhere.

export class MydockerError extends Error {
  readonly code: string;
  readonly exitStatus: number;
  constructor(code: string, message: string, exitStatus = 125) {
    super(message);
    this.name = "MydockerError";
    this.code = code;
    this.exitStatus = exitStatus;
  }
}

/** A flag's value refused as docker's own flag parser refuses it: docker exits 125 for it in every command. */
export class FlagError extends MydockerError {
  constructor(code: string, message: string) {
    super(code, message, 125);
  }
}

export function isErrno(e: unknown, code: string): boolean {
  return typeof e === "object" && e !== null && (e as NodeJS.ErrnoException).code === code;
}
