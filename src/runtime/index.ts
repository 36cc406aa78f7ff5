// The OCI runtime's public surface, for the engine and the myrunc command line.
export { Runtime } from "./runtime.js";
export type {
  RuntimeOptions,
  RuntimeCreateOptions,
  RunOptions,
  ExecOptions,
  ProcessHandle,
  RunHandle,
  RuntimeState,
  HelperTarget,
  PipedProcess,
  Handoff,
  HealthCheck,
} from "./runtime-options.js";
export type { HealthResult, HealthState } from "./health-state.js";
export type { ExitInfo, Restarts, StateRecord } from "./state.js";
export type { ShimExit } from "./shim.js";
export { defaultShimPath } from "./shim-binary.js";
export { isSameProcess, processStartTime } from "./proc.js";
export { compile, compileExec } from "./compile.js";
export type { CompileOptions, MonitorOptions, ExecTarget, HelperProgram, MonitorRestart, PortForward, RootfsMount } from "./compile.js";
export { PortInUseError } from "./shim-errors.js";
export { validateSpec, validateProcess } from "./validate.js";
export { JsonReader, compact } from "./json-reader.js";
export { checkErrnoRet, readSeccompAction, readSeccompArg, readSeccompFlags } from "./seccomp-validate.js";
export { nativeSeccompArch } from "./seccomp-arch.js";
export {
  defaultSpec,
  defaultMounts,
  defaultDevices,
  defaultDeviceRules,
  DEFAULT_CAPABILITIES,
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
  DEFAULT_PATH,
} from "./defaults.js";
export { CAPABILITIES, capabilityMask, capabilityName } from "./capabilities.js";
export { RLIMITS } from "./rlimits.js";
export { checkSysctl } from "./sysctl.js";
export { signalNumber } from "./signals.js";
export { encodePlan, framePlan } from "./plan.js";
export type { Plan, PlanStep } from "./plan.js";
export { readResources } from "./validate-resources.js";
export { runtimeFeatures, type Features } from "./features.js";
