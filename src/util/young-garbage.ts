// Node keeps a Buffer's bytes outside its heap and collects them only when that memory has
// grown by ~64 MiB since the last collection (V8's external memory limit). A stream of
// gigabytes through MiB-sized buffers (push's compressed blocks, zlib's output) so peaks
// ~60 MB above what it holds. A young-generation collection every few MiB frees them as
// they die: ~0.1 ms each, as the young generation of such a stream is small.
import v8 from "node:v8";
import vm from "node:vm";

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
