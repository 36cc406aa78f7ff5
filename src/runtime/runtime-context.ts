// What the runtime's operations share: its roots, its cgroup driver and its choices.
import type { CgroupDriver } from "../cgroups/types.js";
import type { Launcher } from "./launcher.js";

export interface RuntimeContext {
  readonly runRoot: string;
  /** The static shim binary; also a container's init when called mydocker-init. */
  readonly shimPath: string;
  /** null: the runtime creates no cgroups (the container stays in the caller's). */
  readonly cgroups: CgroupDriver | null;
  readonly debug: (msg: string) => void;
  /** What went wrong without failing the operation (a poststart or poststop hook). */
  readonly warn: (msg: string) => void;
  /** Spawn shims without a fork of this process where it can (RuntimeOptions.vforkShims). */
  readonly vforkShims: boolean;
  /** The launcher to fork shims from, when the runtime uses one. */
  launcherFor(): Promise<Launcher | undefined>;
  /** How a root is entered when the caller does not say: chroot (true) where pivot_root cannot work. */
  noPivot(): boolean;
}
