// What every command action gets: the global flags and a lazily made engine.
import type { Engine } from "../engine/engine.js";
import type { GlobalFlags } from "./output.js";

export interface Context {
  flags(): GlobalFlags;
  engine(): Promise<Engine>;
}
