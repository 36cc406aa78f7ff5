export type { Cgroup, CgroupDriver, CgroupHierarchy, CgroupStats, CpuDetail } from "./types.js";
export { detectCgroupDriver, driverForMounts, kernelClonesIntoCgroup, parseCgroupMounts, readCgroupMounts, type CgroupMounts } from "./detect.js";
export { V1Driver, type V1Options } from "./v1.js";
export { V2Driver, type V2Options } from "./v2.js";
export { sharesToWeight, blkioWeightToIoWeight } from "./v2-resources.js";
export { parseCpuList } from "./cpulist.js";
export { validateResources } from "./validate.js";
