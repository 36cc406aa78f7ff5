// What bin/front.sh put in the environment for node's own start only.

/** bin/front.sh's malloc tunable was for node's start: what node spawns (the shim, a container, netavark) gets the caller's environment. */
export function undoFrontEnv(): void {
  if (process.env["MYDOCKER_FRONT_TUNABLES"] !== "1") return;
  delete process.env["GLIBC_TUNABLES"];
  delete process.env["MYDOCKER_FRONT_TUNABLES"];
}
