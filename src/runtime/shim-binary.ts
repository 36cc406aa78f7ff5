// Where the shim binary is, and the error when it cannot be run: shared by the shim
// (spawned) and the launcher (which forks shims), so neither imports the other for it.
import { fileURLToPath } from "node:url";
import { MydockerError } from "../util/errors.js";

/** The shim next to the package (native/mydocker-shim), unless MYDOCKER_SHIM says otherwise. */
export function defaultShimPath(): string {
  return process.env["MYDOCKER_SHIM"] || fileURLToPath(new URL("../../../native/mydocker-shim", import.meta.url));
}

/** The shim binary could not be run at all. */
export function shimMissing(shimPath: string): MydockerError {
  return new MydockerError("shim-missing", `cannot run the shim ${shimPath} (build it with "make -C native")`);
}
