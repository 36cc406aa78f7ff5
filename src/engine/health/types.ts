// docker's State.Health, as a container's record keeps it.

export interface Health {
  Status: "starting" | "healthy" | "unhealthy";
  FailingStreak: number;
  /** The last results, oldest first: times in RFC 3339 with nanoseconds, ExitCode -1 for a timeout. */
  Log: { Start: string; End: string; ExitCode: number; Output: string }[];
}
