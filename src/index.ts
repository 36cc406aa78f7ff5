// The library: `import { Engine } from "mydocker"`.
export { Engine } from "./engine/engine.js";
export type { EngineOptions, ForegroundIo, RunResult } from "./engine/engine.js";
export type { CreateOptions } from "./engine/run-options.js";
export type { ExecRequest } from "./engine/containers/control.js";
export type { LogEntry } from "./engine/logs.js";
export type { ContainerRecord } from "./engine/container-store.js";
export type { CommitOptions } from "./engine/containers/commit.js";
export { MydockerError } from "./util/errors.js";
export type { BuildOptions, BuildEvent, BuildResult } from "./build/types.js";
