// Memory of a stream of gigabytes through MiB-sized buffers (push's layer blocks and
// zlib's output): without care its peak RSS is ~40 MB above what it holds at any time.
//  - Node keeps a Buffer's bytes outside its heap and collects them only once that memory
//    has grown by ~64 MiB since the last collection (V8's external memory limit): a
//    young-generation collection every few MiB frees them as they die.
//  - glibc raises its mmap threshold past a freed mapped block, so later MiB buffers come
//    from the heap, which fragments and keeps freed memory: pinning the threshold keeps
//    each large buffer its own mapping, returned when freed (~0.2 s of system time a GB).
import v8 from "node:v8";
import vm from "node:vm";
import { mmapThreshold } from "./fsat.js";

type Collector = (options: { type: "minor" | "major" }) => void;
let collector: Collector | undefined;

/** Frees the buffers that died young (without --expose-gc: the flag is set for a new context only). */
export function collectYoungGarbage(): void {
  if (collector === undefined) {
    v8.setFlagsFromString("--expose-gc");
    collector = vm.runInNewContext("gc") as Collector;
  }
  collector({ type: "minor" });
}

/** glibc's default threshold (128 KiB), kept from now on. */
export function returnLargeBuffersWhenFreed(): void {
  mmapThreshold(128 << 10);
}
