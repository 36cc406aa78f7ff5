// A container's files seen from outside: docker cp both ways, what is at a path (the API's
// archive HEAD), and docker diff. Every path is resolved inside the container (copy.ts).
import type { Readable, Writable } from "node:stream";
import type { Change } from "../../image/index.js";
import type { ContainerContext } from "./context.js";
import { copyFromContainer, copyToContainer, statInContainer, type CopyOptions, type PathStat } from "./copy.js";
import { containerChanges } from "./diff.js";

export class FilesService {
  constructor(private readonly ctx: ContainerContext) {}

  /** docker cp CONTAINER:SRC DEST; DEST "-" writes a tar stream to out. */
  copyFrom(query: string, src: string, dest: string, out: Writable, opts?: CopyOptions): Promise<void> {
    return copyFromContainer(this.ctx, query, src, dest, out, opts);
  }

  /** docker cp SRC CONTAINER:DEST; SRC "-" reads a tar stream from input, extracted into the directory DEST. */
  copyTo(src: string, input: Readable, query: string, dest: string, opts?: CopyOptions): Promise<void> {
    return copyToContainer(this.ctx, src, input, query, dest, opts);
  }

  stat(query: string, p: string): Promise<PathStat> {
    return statInContainer(this.ctx, query, p);
  }

  /** docker diff: what the container added (A), changed (C) and deleted (D) over its image. */
  diff(query: string): Change[] {
    return containerChanges(this.ctx, query);
  }
}
