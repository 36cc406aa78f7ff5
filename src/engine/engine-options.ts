// What a program sets when it makes an Engine.
import type { EngineRoots } from "./paths.js";

export interface EngineOptions extends Partial<EngineRoots> {
  /** Called with diagnostic lines (`--debug`). */
  debug?: (msg: string) => void;
  /** Where "Unable to find image …" style notices go (stderr for the CLI). */
  notice?: (msg: string) => void;
  /**
   * Start shims through a long-lived launcher process rather than by forking this one
   * (default true): cheaper for a program that runs many containers. The command line,
   * which runs one, turns it off.
   */
  launcher?: boolean;
  /**
   * Spawn shims without a fork of this process (posix_spawn), where the fork of a large
   * Node heap costs a command line several ms. Only for a process that ends soon after its
   * containers start: nothing reaps a detached container's monitor spawned so but the
   * system, once this process is gone. Default false; the command line turns it on.
   */
  vforkShims?: boolean;
  /**
   * The command a detached container's monitor runs once the container exited, to record
   * its end and apply --rm. Default: this package's `mydocker container cleanup ID`.
   */
  exitCommand?: (id: string, roots: EngineRoots, networkRun?: string) => string[];
  /**
   * A foreground run's network is released by this process, in the background, once the run
   * has ended (a program that stays), rather than by its monitor's exit command (the command
   * line, which ends with the run). Default: as launcher.
   */
  releaseInProcess?: boolean;
}
