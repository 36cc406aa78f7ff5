// docker cp's arguments: exactly one side names a container (CONTAINER:PATH); a local
// path with a colon in it is written ./a:b, as in docker.
import type { Engine } from "../../engine/engine.js";
import type { CopyOptions } from "../../engine/containers/copy.js";
import { MydockerError } from "../../util/errors.js";

interface Side {
  container?: string;
  path: string;
}

export function parseCopyArg(arg: string): Side {
  if (arg === "-" || arg.startsWith("/") || arg.startsWith(".")) return { path: arg };
  const i = arg.indexOf(":");
  if (i <= 0) return { path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) || "/" };
}

export async function copyCommand(engine: Engine, srcArg: string, destArg: string, o: CopyOptions): Promise<void> {
  const src = parseCopyArg(srcArg);
  const dest = parseCopyArg(destArg);
  if (src.container && dest.container) throw new MydockerError("EINVAL", "copying between containers is not supported: copy to the host first");
  if (src.container) return engine.files.copyFrom(src.container, src.path, dest.path, process.stdout, o);
  // As docker cp: a directory is never replaced by a file, nor a file by a directory.
  if (dest.container) return engine.files.copyTo(src.path, process.stdin, dest.container, dest.path, { ...o, noOverwriteDirNonDir: true });
  throw new MydockerError("EINVAL", "must specify at least one container source: CONTAINER:PATH");
}
