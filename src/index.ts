// The library: `import { Engine } from "mydocker"`.
export { Engine } from "./engine/engine.js";
export type { EngineOptions, RunResult } from "./engine/engine.js";
export type { CreateOptions } from "./engine/run-options.js";
export { MydockerError } from "./util/errors.js";
