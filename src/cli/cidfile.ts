// run/create --cidfile: the file is claimed before the container is made (docker refuses
// one that exists, which may belong to a running container), and holds its id once made.
import fs from "node:fs";
import { isErrno, MydockerError } from "../util/errors.js";

export class CidFile {
  private constructor(
    private readonly path: string,
    private readonly fd: number,
  ) {}

  static claim(path: string | undefined): CidFile | undefined {
    if (path === undefined) return undefined;
    try {
      return new CidFile(path, fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644));
    } catch (e) {
      if (isErrno(e, "EEXIST")) throw new MydockerError("EEXIST", `container ID file found, make sure the other container isn't running or delete ${path}`);
      throw new MydockerError("EINVAL", `failed to create the container ID file ${path}: ${(e as Error).message}`);
    }
  }

  write(id: string): void {
    fs.writeSync(this.fd, id);
    fs.closeSync(this.fd);
  }

  /** No container was made: nothing is left behind. */
  abandon(): void {
    fs.closeSync(this.fd);
    fs.rmSync(this.path, { force: true });
  }

  /** Claims the file, makes the container, writes its id; the file goes again if making it fails. */
  static async around(path: string | undefined, make: () => Promise<string>): Promise<string> {
    const file = CidFile.claim(path);
    let id: string;
    try {
      id = await make();
    } catch (e) {
      file?.abandon();
      throw e;
    }
    file?.write(id);
    return id;
  }
}
