// Errors carry a stable code for programs and a message for people.
// exitStatus follows docker: 125 engine error, 126 cannot execute, 127 not found.

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

export function isErrno(e: unknown, code: string): boolean {
  return typeof e === "object" && e !== null && (e as NodeJS.ErrnoException).code === code;
}
