// docker inspect: containers, images and volumes, as JSON or through --format.
import type { Engine } from "../../engine/engine.js";
import { MydockerError } from "../../util/errors.js";
import { statusTemplate } from "../format.js";
import { ExitError } from "../output.js";

function find(engine: Engine, name: string, type?: string, size?: boolean): unknown {
  if (type === undefined || type === "container") {
    try {
      return engine.inspect(name, { size });
    } catch (e) {
      if (type === "container") throw e;
    }
  }
  if (type === undefined || type === "image") {
    try {
      return engine.images.inspect(name);
    } catch (e) {
      if (type === "image") throw e;
    }
  }
  if (type === undefined || type === "volume") {
    try {
      return engine.volumes.inspect(name);
    } catch (e) {
      if (type === "volume") throw e;
    }
  }
  if (type === undefined || type === "network") {
    try {
      return engine.networks.inspect(name);
    } catch (e) {
      if (type === "network") throw e;
    }
  }
  throw new MydockerError("ENOTFOUND", `No such object: ${name}`);
}

export async function inspectCommand(engine: Engine, names: string[], f: { format?: string; type?: string; size?: boolean }): Promise<void> {
  const render = f.format && f.format !== "json" ? statusTemplate(f.format) : undefined;
  const found: unknown[] = [];
  let failed = false;
  for (const n of names) {
    try {
      found.push(find(engine, n, f.type, f.size));
    } catch (e) {
      failed = true;
      process.stderr.write(`mydocker: Error: ${(e as Error).message}\n`);
    }
  }
  if (render) {
    process.stdout.write(found.map((o) => render(o) + "\n").join(""));
  } else {
    process.stdout.write(JSON.stringify(found, null, 4) + "\n");
  }
  if (failed) throw new ExitError(1);
}
