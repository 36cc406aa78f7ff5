// Builds the C shim at install time. A C compiler is the only build prerequisite.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cc = process.env.CC || "cc";
const probe = spawnSync(cc, ["--version"], { stdio: "ignore" });
if (probe.error || probe.status !== 0) {
  console.error(`mydocker: no C compiler found (tried "${cc}"): install one (apt-get install -y gcc) and run npm install again`);
  process.exit(1);
}
const r = spawnSync("make", ["-C", path.join(root, "native"), `CC=${cc}`], { stdio: "inherit" });
if (r.error) {
  console.error(`mydocker: cannot run make: ${r.error.message}: install it (apt-get install -y make)`);
  process.exit(1);
}
process.exit(r.status ?? 1);
