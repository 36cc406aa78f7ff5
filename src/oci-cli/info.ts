// features and spec: what the runtime takes, and a starting config.json.
import type { Command } from "commander";
import fs from "node:fs";
import path from "node:path";
import { defaultSpec, runtimeFeatures } from "../runtime/index.js";
import { MydockerError } from "../util/errors.js";
import { writeFd } from "./log.js";

export function registerInfo(program: Command): void {
  program
    .command("features")
    .description("print the OCI features document of this runtime")
    .action(() => writeFd(1, `${JSON.stringify(runtimeFeatures(["prestart", "createRuntime", "poststart", "poststop"]), null, 2)}\n`));

  program
    .command("spec")
    .description("write a default config.json into the bundle")
    .option("-b, --bundle <dir>", "the bundle directory", ".")
    .option("--rootless", "a spec for a user without root (not supported)")
    .action((f: { bundle: string; rootless?: boolean }) => {
      if (f.rootless) throw new MydockerError("unsupported", "--rootless: myrunc does not run without root, so it writes no spec for that; run it as root (a container may still have a user namespace: linux.uidMappings)");
      const file = path.join(f.bundle, "config.json");
      if (fs.existsSync(file)) throw new MydockerError("exists", "File config.json exists. Remove it first.");
      const spec = { ...defaultSpec(), process: { ...defaultSpec().process, terminal: true } };
      fs.writeFileSync(file, `${JSON.stringify(spec, null, "\t")}\n`, { mode: 0o644 });
    });
}
