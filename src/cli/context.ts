// What every command action gets: the global flags and a lazily made engine.
import type { Engine } from "../engine/engine.js";
import type { GlobalFlags } from "./output.js";

export interface Context {
  flags(): GlobalFlags;
  /**
   * The engine, after checking we are root and finishing what killed commands left half
   * done (sweep: false for a monitor's exit command, which releases its own container).
   * launcher: shims forked from a long-lived launcher (the daemon, which starts many).
   */
  engine(opts?: { sweep: boolean; launcher?: boolean }): Promise<Engine>;
}
